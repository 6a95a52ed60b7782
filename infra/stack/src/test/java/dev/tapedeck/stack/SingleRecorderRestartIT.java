package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.testkit.TopicReader;
import dev.tapedeck.testkit.TopicWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/** A pool of one recorder: killed, restarted by the launcher, it resumes its stream from what is stored and spooled. */
@Order(5)
@Execution(ExecutionMode.SAME_THREAD) // the restarted recorder resumes within 10 s of its start
class SingleRecorderRestartIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        // Its own stack: it kills its only recorder.
        stack = startStack(data, s -> s.transcode(false).sliceLength(Duration.ofSeconds(4)).recorders(1));
    }

    /** Killed after its second slice (about 9 s in); restarted and resumed within 10 s of its start, with slices after. */
    /** Long enough that the killed replica, restarted on a busy machine (8-24 s), resumes the stream while it is live. */
    static final int SECONDS = 60;

    @Test
    void theOnlyReplicaKilledAndRestartedResumesItsStreamWithOneMarkedGap() throws Exception {
        try (LiveStream stream = new LiveStream(stack, data, "restart", SECONDS);
                TopicReader live = new TopicReader(stack.kafkaBootstrap(), Topics.LIVE)) {
            StreamPublished published = stream.published;
            String id = stream.id();
            stream.holderAfterSlice(1);

            // A repeated publish record of the live session starts no second pull and overwrites nothing (checked at the end).
            ConsumerRecord<String, CloudEvent<?>> record = live.await(r -> r.key().equals(published.streamKey()) && r.value() != null,
                    Duration.ofSeconds(10));
            TopicWriter.send(stack.kafkaBootstrap(), Topics.LIVE, record.key(), record.value());

            ServiceProcess recorder = stack.recorders().get(0);
            Instant killed = Instant.now();
            Instant restarted = ReplayCheck.killAndAwaitRestart(recorder);
            // How soon is measured and printed, not bounded here: a JVM's start on a busy machine took 8 to 24 s.
            ReplayCheck.awaitHolder(stack, published.streamKey(), -1, Duration.ofSeconds(45));
            long resumeMillis = Duration.between(restarted, Instant.now()).toMillis();

            stream.awaitPublisher();
            ReplayCheck.Result r = ReplayCheck.check(stack, id, 1);
            // What is lost is the time no replica pulled the stream (from the kill until the resumed pull's first packet,
            // which depends on how fast the machine restarts a JVM) and at most a keyframe interval before the next
            // keyframe, plus what of the slice in progress had not reached the disk: no slice stored or salvaged is lost.
            SliceStored resumed = r.slices().stream().filter(SliceStored::discontinuity).findFirst().orElseThrow();
            long awayMillis = Duration.between(killed, resumed.firstPacketAt()).toMillis();
            assertThat(r.gaps().get(0)).as("media lost to the kill, %d ms without a pull", awayMillis)
                    .isLessThanOrEqualTo(awayMillis + 2_000);
            assertThat(recorder.restarts()).isEqualTo(1);
            System.out.printf(Locale.ROOT, "[kill -9 of the only recorder] resumed %d ms after its restart, %d ms after the kill; media gap %d ms;"
                    + " replay %.1f s of %d s%n", resumeMillis, awayMillis, r.gaps().get(0), r.replaySeconds(), SECONDS);
        }
    }
}
