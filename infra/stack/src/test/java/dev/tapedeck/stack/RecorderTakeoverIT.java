package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The recorder pool under faults, on the real stack with two recorder replicas: a killed or terminated
 * replica's stream continues on the other, and a storage outage delays slices without losing any.
 */
@Order(1)
@Execution(ExecutionMode.SAME_THREAD) // it bounds the takeover (10 s) and the media a kill loses
class RecorderTakeoverIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    static final Duration SLICE = Duration.ofSeconds(4);
    /**
     * A stream killed or handed over after its second slice (about 9 s in) that goes on for a takeover (at most 10 s) and
     * some slices after it.
     */
    static final int SECONDS = 28;
    /** The stream the storage outage happens in. */
    static final int OUTAGE_STREAM_SECONDS = 48;

    @BeforeAll
    static void start() throws Exception {
        // Its own stack: it kills recorders and stops the S3 server. A replica halts (exit 134, as a crash in native
        // code) whenever it begins a pull of live/poison; a pull is at risk for 3 s after it begins. Uploads are retried
        // at most 4 s apart (30 s by default), so an outage of 30 s still spans several retries at the longest delay.
        // Redundancy 1 (no standby): what a takeover costs without one is what these tests bound; StandbyRecorderIT has
        // the default.
        stack = startStack(data, s -> s.transcode(false).sliceLength(SLICE).recorders(2).env("TAPEDECK_RECORDER_REDUNDANCY", "1")
                .env("TAPEDECK_RECORDER_HALT_ON_STREAM", "/live/poison$").env("TAPEDECK_RECORDER_CRASH_WINDOW", "3s")
                .env("TAPEDECK_RECORDER_RETRY_MAX_DELAY", "4s"));
    }

    @AfterEach
    void poolHealsBeforeTheNextTest() throws Exception {
        ReplayCheck.awaitPoolReady(stack, Duration.ofSeconds(90));
    }

    @Test
    void killingTheReplicaThatHoldsAStreamMovesItToTheOtherWithOneMarkedGap() throws Exception {
        try (LiveStream live = new LiveStream(stack, data, "kill9", SECONDS)) {
            StreamPublished published = live.published;
            int victim = live.holderAfterSlice(1);

            long killed = System.nanoTime();
            // Gone for longer than the takeover may take: otherwise the restarted replica takes its stream back itself.
            stack.recorders().get(victim).kill(Duration.ofSeconds(15));
            int survivor = ReplayCheck.awaitHolder(stack, published.streamKey(), victim, Duration.ofSeconds(30));
            long takeoverMillis = (System.nanoTime() - killed) / 1_000_000;
            assertThat(takeoverMillis).as("the other replica continues within 10 s").isLessThan(10_000);

            live.awaitPublisher();
            ReplayCheck.Result r = ReplayCheck.check(stack, published.recordingId(), 1);
            assertThat(r.gaps().get(0)).as("media lost to the kill").isLessThanOrEqualTo(10_000);
            assertThat(r.replaySeconds()).isGreaterThanOrEqualTo(SECONDS - 10 - 1.0);
            System.out.printf(Locale.ROOT, "[kill -9 of recorder-%d, 2 replicas] recorder-%d took over after %d ms; media gap %d ms; replay %.1f s of %d s%n",
                    victim + 1, survivor + 1, takeoverMillis, r.gaps().get(0), r.replaySeconds(), SECONDS);
        }
    }

    @Test
    void terminatingTheReplicaThatHoldsAStreamHandsItOverAndTheReplayStaysLiveUntilTheUnpublish() throws Exception {
        String stream = "sigterm";
        try (LiveStream live = new LiveStream(stack, data, stream, SECONDS)) {
            StreamPublished published = live.published;
            String id = live.id();
            int victim = live.holderAfterSlice(1);
            long seqBefore = live.lastSeq();

            long terminated = System.nanoTime();
            stack.recorders().get(victim).terminate();
            int survivor = ReplayCheck.awaitHolder(stack, published.streamKey(), victim, Duration.ofSeconds(30));
            long handoverMillis = (System.nanoTime() - terminated) / 1_000_000;
            // The terminated replica stored and announced the slice it was writing before it let go.
            live.awaitSlice(seqBefore + 1);

            live.awaitPublisher();
            ReplayCheck.Result r = ReplayCheck.check(stack, id, 1);
            // The handover is timed until the survivor lists the stream; its pull then connects and plays from the next
            // keyframe (1 s apart here): the media gap may exceed it by the connect plus one keyframe interval.
            assertThat(r.gaps().get(0)).as("the gap is at most the handover time, the pull's connect and one keyframe interval")
                    .isLessThanOrEqualTo(handoverMillis + 1000 + 1000);

            // Entries of one recording are in order: nothing but LIVE before the unpublish.
            Instant unpublished = live.streams.await(x -> x.value() != null && x.value().data() instanceof StreamUnpublished u
                    && u.stream().equals(stream), Duration.ofSeconds(30)).value().time();
            ConsumerRecord<String, CloudEvent<?>> firstFinal = live.vods.await(x -> x.value() != null && x.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id) && c.status() != CatalogEntry.Status.LIVE, Duration.ofSeconds(30));
            assertThat(((CatalogEntry) firstFinal.value().data()).status()).isEqualTo(CatalogEntry.Status.READY);
            assertThat(firstFinal.value().time()).as("the replay became READY only after the unpublish").isAfter(unpublished);
            System.out.printf(Locale.ROOT, "[SIGTERM of recorder-%d] recorder-%d continued after %d ms; media gap %d ms; replay %.1f s of %d s%n",
                    victim + 1, survivor + 1, handoverMillis, r.gaps().get(0), r.replaySeconds(), SECONDS);
        }
    }

    @Test
    void aThirtySecondStorageOutageDelaysSlicesAndLosesNothing() throws Exception {
        // The outage begins about 8 s in and ends about 38 s in: slices before, during and after it.
        try (LiveStream live = new LiveStream(stack, data, "s3down", OUTAGE_STREAM_SECONDS)) {
            String id = live.id();
            int holder = live.holderAfterSlice(0);
            // The outage begins once the packager has packaged the first slice and waits for the next: this test is
            // about the recorder (the packager's own handling of an outage is its own concern).
            live.vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                    && !c.renditions().isEmpty(), Duration.ofSeconds(30));

            stack.stopS3();
            long down = System.nanoTime();
            double peak = 0;
            try {
                while (System.nanoTime() - down < Duration.ofSeconds(30).toNanos()) {
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

            live.awaitPublisher();
            ReplayCheck.Result r = ReplayCheck.check(stack, id, 0);
            assertThat(r.replaySeconds()).as("complete, no gap").isGreaterThanOrEqualTo(OUTAGE_STREAM_SECONDS - 1.0);
            System.out.printf(Locale.ROOT, "[S3 down 30 s] spool peaked at %.0f bytes; replay %.1f s of %d s, no gap%n", peak,
                    r.replaySeconds(), OUTAGE_STREAM_SECONDS);
        }
    }

    @Test
    void aStreamWhosePullKillsTwoReplicasIsClosedFailedAndAStreamBegunBesideItIsNotBlamed() throws Exception {
        int restartsBefore = stack.recorders().stream().mapToInt(ServiceProcess::restarts).sum();
        // Begun together: wherever the assignor puts them, the first death may be shared, and must not count against
        // the bystander.
        // Both publish long enough for two or three deaths and restarts on a busy machine (a restart took 10-15 s there),
        // so that the bystander is still live once the poison is judged; the poison is stopped then.
        try (LiveStream bystander = new LiveStream(stack, data, "bystander", 60); LiveStream poison = new LiveStream(stack, data, "poison", 90)) {
            CatalogEntry failed = (CatalogEntry) poison.vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(poison.id()) && c.status() != CatalogEntry.Status.LIVE, Duration.ofSeconds(150)).value().data();
            assertThat(failed.status()).as(failed.message()).isEqualTo(CatalogEntry.Status.FAILED);
            assertThat(failed.message()).contains("stopped the recorder 2 times while no other pull there was at risk");
            int restarts = stack.recorders().stream().mapToInt(ServiceProcess::restarts).sum() - restartsBefore;
            // Every death is judged by the stream's next owner: its own (a strike) when it was the only pull at risk there,
            // shared (no strike) when another was, as when both streams began on one replica. Which deaths are shared
            // depends on where the assignor puts the streams; that each is accounted for and only the poison is struck does not.
            Set<String> ownDeaths = deathsJudged("poison", "the only pull at risk");
            Set<String> sharedDeaths = deathsJudged("poison", "pulls were at risk");
            assertThat(ownDeaths).as("deaths of its own before it was given up").hasSize(2);
            assertThat(restarts).as("replicas that died, each a death judged by the poison's next owner: own %s, shared %s", ownDeaths,
                    sharedDeaths).isEqualTo(ownDeaths.size() + sharedDeaths.size());
            assertThat(deathsJudged("bystander", "the only pull at risk")).as("deaths counted against the bystander").isEmpty();
            bystander.awaitPublisher();
            CatalogEntry ready = (CatalogEntry) bystander.vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(bystander.id()) && c.status() != CatalogEntry.Status.LIVE, Duration.ofSeconds(120))
                    .value().data();
            assertThat(ready.status()).as("the stream recorded beside it: %s", ready.message()).isEqualTo(CatalogEntry.Status.READY);
            String replay = stack.apiUrl() + "/vod/" + bystander.id() + "/source/index.m3u8";
            assertThat(dev.tapedeck.testkit.MediaTools.decodeErrors(replay)).isEmpty();
            System.out.printf(Locale.ROOT, "[a stream that kills the recorder] %d restarts (%d shared with the bystander); %s: %s; the stream begun beside it %s, %.1f s of 60 s%n",
                    restarts, sharedDeaths.size(), failed.status(), failed.message(), ready.status(), dev.tapedeck.testkit.MediaTools.duration(replay));
        }
    }

    /** The replica lives whose death the next owner of {@code live/name} judged, from the recorders' logs. */
    private static Set<String> deathsJudged(String name, String judgement) throws IOException {
        Pattern line = Pattern.compile("the replica that pulled \\S*/live/" + name + " \\(life (\\S+)\\) died while .*"
                + Pattern.quote(judgement));
        Set<String> lives = new TreeSet<>();
        for (ServiceProcess recorder : stack.recorders()) {
            for (String l : Files.readAllLines(recorder.log, StandardCharsets.ISO_8859_1)) {
                Matcher m = line.matcher(l);
                if (m.find()) {
                    lives.add(m.group(1));
                }
            }
        }
        return lives;
    }
}
