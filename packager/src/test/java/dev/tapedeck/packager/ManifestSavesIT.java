package dev.tapedeck.packager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.EventCodec;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.TapedeckEvent;
import dev.tapedeck.packager.hls.Manifest;
import dev.tapedeck.testkit.FlvTags;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import dev.tapedeck.testkit.TopicWriter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

/**
 * The manifest is written at a bounded rate, not once per slice, and a slice event is committed only once a saved
 * manifest includes it: a packager that dies before the save gets the event again.
 */
@QuarkusTest
@TestProfile(ManifestSavesIT.LongInterval.class)
@QuarkusTestResource(TapedeckTestResource.class)
class ManifestSavesIT extends PackagerTestSupport {
    private static final String GROUP = "tapedeck-packager";

    /** An interval far longer than the test, so nothing but a status change saves the manifest a second time. */
    public static class LongInterval implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tapedeck.packager.manifest-interval", "180s");
        }
    }

    @Inject
    MeterRegistry metrics;

    @Test
    void aBurstOfSlicesIsSavedInOneManifestWriteAndItsEventsAreCommittedOnlyOnceItIsSaved() throws Exception {
        String id = Ids.uuid7();
        Path dir = Files.createTempDirectory("saves");
        MediaTools.makeFlv(dir.resolve("whole.flv"), 320, 180, 30, 12);
        List<FlvTags.Tag> tags = FlvTags.read(dir.resolve("whole.flv"));
        long ms = Math.round(MediaTools.duration(dir.resolve("whole.flv").toString()) * 1000);
        for (int seq = 0; seq < 6; seq++) {
            FlvTags.write(dir.resolve(seq + ".flv"), cut(tags, seq * 2_000L, seq == 5 ? 60_000 : (seq + 1) * 2_000L));
            store.putFile(StorageKeys.slice(KEY, id, "source", seq), dir.resolve(seq + ".flv"), "video/x-flv");
        }
        double savesBefore = saves();
        String key = Topics.sliceKey(id, "source");
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS); Admin admin = Admin.create(Map.of("bootstrap.servers", kafka))) {
            // Slice 0: a new recording's manifest is saved at once.
            RecordMetadata first = sendSlice(key, slice(id, 0, StorageKeys.slice(KEY, id, "source", 0), 0, 2_000));
            until(() -> savedSlices(id) == 1, "the manifest with slice 0 in the bucket");

            // Slices 1-5 at once: packaged (playlist and catalog entry), the manifest not saved again yet.
            List<RecordMetadata> burst = new ArrayList<>();
            for (int seq = 1; seq < 6; seq++) {
                burst.add(sendSlice(key, slice(id, seq, StorageKeys.slice(KEY, id, "source", seq), seq * 2_000L,
                        Math.min((seq + 1) * 2_000L, ms) - seq * 2_000L)));
            }
            vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                    && !c.renditions().isEmpty() && c.renditions().get(0).segments() == 6, Duration.ofSeconds(60));
            String playlist = new String(store.getBytes(StorageKeys.mediaPlaylist(id, "source")).orElseThrow(), StandardCharsets.UTF_8);
            assertThat(playlist).as("the playlist lists every slice at once").contains("000005.ts");

            // Another recording on another partition: once its event is committed, a commit has happened after the
            // burst was packaged. The burst's offsets are not in it: their manifest is not saved.
            String other = Ids.uuid7();
            String otherKey = Topics.sliceKey(other, "source");
            int partitions = admin.describeTopics(List.of(Topics.SLICES)).allTopicNames().get().get(Topics.SLICES).partitions().size();
            assertThat(partitions).as("the slices topic has more than one partition").isGreaterThan(1);
            while (partition(otherKey, partitions) == first.partition()) {
                other = Ids.uuid7();
                otherKey = Topics.sliceKey(other, "source");
            }
            RecordMetadata unrelated = sendSlice(otherKey, slice(other, 0, StorageKeys.slice(KEY, id, "source", 0), 0, 2_000));
            TopicPartition otherPartition = new TopicPartition(Topics.SLICES, unrelated.partition());
            until(() -> committed(admin, otherPartition) > unrelated.offset(), "the other recording's slice committed");
            assertThat(committed(admin, new TopicPartition(Topics.SLICES, first.partition())))
                    .as("slice 1's offset is not committed while the saved manifest lacks it").isLessThanOrEqualTo(burst.get(0).offset());
            assertThat(savedSlices(id)).as("the saved manifest: slice 0 only").isEqualTo(1);

            // The close completes the replay: a status change, saved at once, with everything before it.
            RecordMetadata close = sendSlice(key, new RecordingClosed(id, KEY.toString(), "source", 5, 6, ms,
                    RecordingClosed.Reason.UNPUBLISHED, null, Instant.now()));
            assertThat(awaitComplete(id).status()).isEqualTo(CatalogEntry.Status.READY);
            assertThat(savedSlices(id)).isEqualTo(6);
            until(() -> committed(admin, new TopicPartition(Topics.SLICES, first.partition())) > close.offset(),
                    "every event of the recording committed once its manifest is saved");
        }
        // This recording twice (its first slice, its end), the other recording once: three writes for nine events.
        assertThat(saves() - savesBefore).isEqualTo(3);
    }

    private RecordMetadata sendSlice(String key, TapedeckEvent event) throws Exception {
        return TopicWriter.send(kafka, Topics.SLICES, key, CloudEvent.of("test", event, Clock.systemUTC()));
    }

    private double saves() {
        return metrics.counter("tapedeck.packager.manifest.saves").count();
    }

    private int savedSlices(String id) {
        return store.getBytes(StorageKeys.manifest(id)).map(json -> {
            try {
                return EventCodec.mapper().readValue(json, Manifest.class).renditions.get("source").sliceRecords.size();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).orElse(0);
    }

    /** The partition the producer's default partitioner gives a keyed record. */
    private static int partition(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    private static long committed(Admin admin, TopicPartition partition) {
        try {
            OffsetAndMetadata o = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata().get().get(partition);
            return o == null ? -1 : o.offset();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void until(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
