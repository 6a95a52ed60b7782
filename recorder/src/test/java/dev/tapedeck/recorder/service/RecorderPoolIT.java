package dev.tapedeck.recorder.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.recorder.pool.LiveOwnership;
import dev.tapedeck.testkit.TapedeckTestResource.TestServers;
import dev.tapedeck.testkit.TopicWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two recorder replicas (their media pulls faked) form a pool on the real broker. */
class RecorderPoolIT {
    static final int PARTITIONS = 3;

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within 60 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** A stream name whose live-registry record lands in {@code partition} (Kafka's default partitioner). */
    static String streamIn(int partition, String prefix) {
        for (int i = 0; ; i++) {
            String stream = prefix + i;
            byte[] key = ("__defaultVhost__/live/" + stream).getBytes(StandardCharsets.UTF_8);
            if (Utils.toPositive(Utils.murmur2(key)) % PARTITIONS == partition) {
                return stream;
            }
        }
    }

    static void send(String bootstrap, String key, StreamPublished published) throws Exception {
        TopicWriter.send(bootstrap, Topics.LIVE, key, published == null ? null : CloudEvent.of("test", published, Clock.systemUTC()));
    }

    @Test
    void aStreamOverOneReplicasCapIsRecordedByAnotherReplica(@TempDir Path dir) throws Exception {
        String bootstrap = TestServers.get().kafka().bootstrapServers();
        String group = "pool-it-" + System.nanoTime();
        Harness.MemoryStore bucket = new Harness.MemoryStore();
        List<Harness> replicas = List.of(new Harness(dir.resolve("a"), 1, bucket), new Harness(dir.resolve("b"), 1, bucket));
        List<LiveOwnership> pool = new ArrayList<>();
        try {
            for (Harness h : replicas) {
                h.pulls.sliceEveryMillis = 200;
                LiveOwnership o = new LiveOwnership(new LiveOwnership.Settings(bootstrap, group, Duration.ofSeconds(2),
                        Duration.ofSeconds(5)), h.recorder);
                o.start();
                pool.add(o);
            }
            await(() -> pool.get(0).owned().size() + pool.get(1).owned().size() == PARTITIONS
                    && !pool.get(0).owned().isEmpty() && !pool.get(1).owned().isEmpty(), "both replicas own partitions");
            int fuller = pool.get(0).owned().size() > pool.get(1).owned().size() ? 0 : 1;
            List<Integer> its = new ArrayList<>(pool.get(fuller).owned());
            // Two streams in the two partitions of the same replica, which may pull only one at a time.
            String first = streamIn(its.get(0), "first");
            String second = streamIn(its.get(1), "second");
            StreamPublished one = Harness.published(first, Ids.uuid7());
            StreamPublished two = Harness.published(second, Ids.uuid7());
            send(bootstrap, one.streamKey(), one);
            await(() -> replicas.get(fuller).recorder.recording(one.sessionId()), "the first stream is recorded");
            send(bootstrap, two.streamKey(), two);

            int other = 1 - fuller;
            await(() -> replicas.get(other).recorder.recording(two.sessionId())
                    && !replicas.get(other).recorder.waiting(two.sessionId()), "the other replica records the stream over the cap");
            assertThat(replicas.get(fuller).recorder.recording(one.sessionId())).as("the first stays where it is").isTrue();
            assertThat(replicas.get(fuller).pulls.opened).as("the full replica never pulled the second").hasSize(1);
            assertThat(pool.get(other).owned()).contains(its.get(1));

            send(bootstrap, one.streamKey(), null);
            send(bootstrap, two.streamKey(), null);
            await(() -> replicas.get(fuller).events.closes().size() == 1 && replicas.get(other).events.closes().size() == 1,
                    "both recordings closed");
            assertThat(replicas.get(other).events.slices()).isNotEmpty()
                    .allMatch(s -> s.recordingId().equals(two.recordingId()));
            assertThat(Set.copyOf(bucket.objects.keySet())).anyMatch(k -> k.contains(first)).anyMatch(k -> k.contains(second));
        } finally {
            pool.forEach(LiveOwnership::close);
            replicas.forEach(Harness::close);
        }
    }
}
