package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.testkit.TopicReader;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The recorder pool under faults, on the real stack with two recorder replicas: a killed or terminated
 * replica's stream continues on the other, and a storage outage delays slices without losing any.
 */
class RecorderTakeoverIT extends StackTest {
    static final Duration SLICE = Duration.ofSeconds(4);

    @BeforeAll
    static void start() throws Exception {
        startStack(s -> s.transcode(false).sliceLength(SLICE).recorders(2));
    }

    @AfterEach
    void poolHealsBeforeTheNextTest() throws Exception {
        ReplayCheck.awaitPoolReady(stack, Duration.ofSeconds(90));
    }

    static StreamPublished awaitPublished(TopicReader streams, String stream) {
        return (StreamPublished) streams.await(r -> r.value() != null && r.value().data() instanceof StreamPublished p
                && p.stream().equals(stream), Duration.ofSeconds(30)).value().data();
    }

    static void awaitSlice(TopicReader slices, String id, long seq) {
        slices.await(r -> r.value().data() instanceof SliceStored s && s.recordingId().equals(id) && s.seq() >= seq,
                Duration.ofSeconds(60));
    }

    @Test
    void killingTheReplicaThatHoldsAStreamMovesItToTheOtherWithOneMarkedGap() throws Exception {
        String stream = "kill9";
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader slices = new TopicReader(stack.kafkaBootstrap(), Topics.SLICES);
                Publisher publisher = Publisher.start(stack.rtmpUrl("live", stream), 640, 360, 30, 40, data.resolve(stream + ".log"))) {
            StreamPublished published = awaitPublished(streams, stream);
            awaitSlice(slices, published.recordingId(), 1);
            int victim = ReplayCheck.awaitHolder(stack, published.streamKey(), -1, Duration.ofSeconds(10));

            long killed = System.nanoTime();
            stack.recorders().get(victim).kill();
            int survivor = ReplayCheck.awaitHolder(stack, published.streamKey(), victim, Duration.ofSeconds(30));
            long takeoverMillis = (System.nanoTime() - killed) / 1_000_000;
            assertThat(takeoverMillis).as("the other replica continues within 10 s").isLessThan(10_000);

            assertThat(publisher.await()).as(publisher.output()).isZero();
            ReplayCheck.Result r = ReplayCheck.check(stack, published.recordingId(), 1);
            assertThat(r.gaps().get(0)).as("media lost to the kill").isLessThanOrEqualTo(10_000);
            assertThat(r.replaySeconds()).isGreaterThanOrEqualTo(40 - 10 - 1.0);
            System.out.printf(Locale.ROOT, "[kill -9 of recorder-%d, 2 replicas] recorder-%d took over after %d ms; media gap %d ms; replay %.1f s of 40 s%n",
                    victim + 1, survivor + 1, takeoverMillis, r.gaps().get(0), r.replaySeconds());
        }
    }

    @Test
    void terminatingTheReplicaThatHoldsAStreamHandsItOverAndTheReplayStaysLiveUntilTheUnpublish() throws Exception {
        String stream = "sigterm";
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader slices = new TopicReader(stack.kafkaBootstrap(), Topics.SLICES);
                TopicReader vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS);
                Publisher publisher = Publisher.start(stack.rtmpUrl("live", stream), 640, 360, 30, 40, data.resolve(stream + ".log"))) {
            StreamPublished published = awaitPublished(streams, stream);
            String id = published.recordingId();
            awaitSlice(slices, id, 1);
            int victim = ReplayCheck.awaitHolder(stack, published.streamKey(), -1, Duration.ofSeconds(10));
            long seqBefore = slices.seen().stream().filter(r -> r.value().data() instanceof SliceStored s && s.recordingId().equals(id))
                    .mapToLong(r -> ((SliceStored) r.value().data()).seq()).max().orElseThrow();

            long terminated = System.nanoTime();
            stack.recorders().get(victim).terminate();
            int survivor = ReplayCheck.awaitHolder(stack, published.streamKey(), victim, Duration.ofSeconds(30));
            long handoverMillis = (System.nanoTime() - terminated) / 1_000_000;
            // The terminated replica stored and announced the slice it was writing before it let go.
            awaitSlice(slices, id, seqBefore + 1);

            assertThat(publisher.await()).as(publisher.output()).isZero();
            ReplayCheck.Result r = ReplayCheck.check(stack, id, 1);
            assertThat(r.gaps().get(0)).as("the gap is at most the handover time (plus one keyframe interval)")
                    .isLessThanOrEqualTo(handoverMillis + 1000);

            // Entries of one recording are in order: nothing but LIVE before the unpublish.
            Instant unpublished = streams.await(x -> x.value() != null && x.value().data() instanceof StreamUnpublished u
                    && u.stream().equals(stream), Duration.ofSeconds(30)).value().time();
            ConsumerRecord<String, CloudEvent<?>> firstFinal = vods.await(x -> x.value() != null && x.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id) && c.status() != CatalogEntry.Status.LIVE, Duration.ofSeconds(30));
            assertThat(((CatalogEntry) firstFinal.value().data()).status()).isEqualTo(CatalogEntry.Status.READY);
            assertThat(firstFinal.value().time()).as("the replay became READY only after the unpublish").isAfter(unpublished);
            System.out.printf(Locale.ROOT, "[SIGTERM of recorder-%d] recorder-%d continued after %d ms; media gap %d ms; replay %.1f s of 40 s%n",
                    victim + 1, survivor + 1, handoverMillis, r.gaps().get(0), r.replaySeconds());
        }
    }

    @Test
    void aSixtySecondStorageOutageDelaysSlicesAndLosesNothing() throws Exception {
        String stream = "s3down";
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader slices = new TopicReader(stack.kafkaBootstrap(), Topics.SLICES);
                Publisher publisher = Publisher.start(stack.rtmpUrl("live", stream), 640, 360, 30, 80, data.resolve(stream + ".log"))) {
            StreamPublished published = awaitPublished(streams, stream);
            String id = published.recordingId();
            awaitSlice(slices, id, 0);
            int holder = ReplayCheck.awaitHolder(stack, published.streamKey(), -1, Duration.ofSeconds(10));

            stack.stopS3();
            long down = System.nanoTime();
            double peak = 0;
            try {
                while (System.nanoTime() - down < Duration.ofSeconds(60).toNanos()) {
                    peak = Math.max(peak, ReplayCheck.metric(stack, holder, "tapedeck_recorder_spool_bytes"));
                    Thread.sleep(1000);
                }
            } finally {
                stack.startS3();
            }
            assertThat(peak).as("slices waited in the spool during the outage").isGreaterThan(100_000);
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (ReplayCheck.metric(stack, holder, "tapedeck_recorder_spool_bytes") > 0) {
                assertThat(System.nanoTime()).as("the spool emptied after the outage").isLessThan(deadline);
                Thread.sleep(500);
            }
            assertThat(ReplayCheck.metric(stack, holder, "tapedeck_recorder_upload_failures_total")).as("uploads were retried").isPositive();

            assertThat(publisher.await()).as(publisher.output()).isZero();
            ReplayCheck.Result r = ReplayCheck.check(stack, id, 0);
            assertThat(r.replaySeconds()).as("complete, no gap").isGreaterThanOrEqualTo(80 - 1.0);
            System.out.printf(Locale.ROOT, "[S3 down 60 s] spool peaked at %.0f bytes; replay %.1f s of 80 s, no gap%n", peak, r.replaySeconds());
        }
    }
}
