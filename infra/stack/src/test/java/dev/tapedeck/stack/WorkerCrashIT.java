package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.JobStatusChanged;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** A transcoder worker killed in the middle of a stream, on the real stack: it is started again and its rung goes on. */
class WorkerCrashIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        // Its own stack: it kills transcoder workers.
        stack = startStack(data, s -> s.sliceLength(Duration.ofSeconds(4)).recorders(1));
    }

    /**
     * The worker JVM of this class's transcoder (there is one stream, so one worker): a child of its process, not of
     * this JVM, where the stacks of the classes running beside this one have workers too.
     */
    static ProcessHandle worker(Duration wait) throws InterruptedException {
        long until = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < until) {
            var found = stack.transcoder().orElseThrow().process().descendants().filter(p -> p.info().commandLine()
                    .map(c -> c.contains("dev.tapedeck.transcoder.worker.WorkerMain")).orElse(false)).findFirst();
            if (found.isPresent()) {
                return found.get();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no worker process within " + wait);
    }

    @Test
    void aWorkerKilledMidStreamIsStartedAgainAndItsRungContinuesAfterOneMarkedGap() throws Exception {
        Path media = data.resolve("crash.flv");
        MediaTools.makeFlv(media, 854, 480, "30", 40, MediaTools.Encoder.X264_DEFAULTS);
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader slices = new TopicReader(stack.kafkaBootstrap(), Topics.SLICES);
                TopicReader jobs = new TopicReader(stack.kafkaBootstrap(), Topics.JOBS);
                TopicReader vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS);
                Publisher publisher = Publisher.file(stack.rtmpUrl("live", "crash"), media, data.resolve("crash.log"))) {
            StreamPublished published = (StreamPublished) streams.await(r -> r.value().data() instanceof StreamPublished p
                    && p.stream().equals("crash"), Duration.ofSeconds(30)).value().data();
            String id = published.recordingId();
            // Mid-stream: the rung has stored a slice.
            slices.await(r -> r.value().data() instanceof SliceStored s && s.recordingId().equals(id) && "360p".equals(s.rendition()),
                    Duration.ofSeconds(60));
            ProcessHandle first = worker(Duration.ofSeconds(10));
            first.destroyForcibly();
            first.onExit().get();
            long killed = System.nanoTime();
            ProcessHandle second = worker(Duration.ofSeconds(30));
            long restartMillis = (System.nanoTime() - killed) / 1_000_000;
            assertThat(second.pid()).as("a new worker").isNotEqualTo(first.pid());

            assertThat(publisher.await()).as(publisher.output()).isZero();
            CatalogEntry entry = (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id) && c.status() != CatalogEntry.Status.LIVE, Duration.ofSeconds(120)).value().data();
            assertThat(entry.status()).as(entry.message()).isEqualTo(CatalogEntry.Status.READY);

            List<JobStatusChanged> states = jobs.readToEnd().stream().map(r -> r.value().data())
                    .filter(JobStatusChanged.class::isInstance).map(JobStatusChanged.class::cast)
                    .filter(j -> j.sessionId().equals(published.sessionId())).toList();
            assertThat(states).extracting(JobStatusChanged::status).as("exactly one final state").containsExactly(
                    JobStatusChanged.Status.STARTING, JobStatusChanged.Status.STARTING, JobStatusChanged.Status.COMPLETE);
            assertThat(states.get(1).code()).isEqualTo("WORKER_RESTARTED");

            String master = get(stack.apiUrl() + "/vod/" + id + "/master.m3u8");
            assertThat(ReplayCheck.variants(master)).as(master).containsExactlyInAnyOrder("source", "360p");
            String rung = stack.apiUrl() + "/vod/" + id + "/360p/index.m3u8";
            String playlist = get(rung);
            assertThat(playlist.split("#EXT-X-DISCONTINUITY\n", -1)).as("one marked gap: %s", playlist).hasSize(2);
            // The hole is the source's segments as gaps: segment N starts at the same time in both playlists.
            assertThat(playlist).contains("#EXT-X-GAP\n");
            List<Double> rungTimes = extinf(playlist);
            List<Double> sourceTimes = extinf(get(stack.apiUrl() + "/vod/" + id + "/source/index.m3u8"));
            assertThat(rungTimes).as(playlist).hasSameSizeAs(sourceTimes);
            double rungAt = 0;
            double sourceAt = 0;
            for (int n = 0; n < sourceTimes.size(); n++) {
                assertThat(rungAt).as("cumulative time at segment %d", n).isCloseTo(sourceAt, org.assertj.core.data.Offset.offset(0.034));
                rungAt += rungTimes.get(n);
                sourceAt += sourceTimes.get(n);
            }
            assertThat(MediaTools.decodeErrors(rung)).isEmpty();
            double seconds = MediaTools.duration(rung);
            assertThat(seconds).as("the rung goes on to the end").isGreaterThan(30);
            System.out.printf(Locale.ROOT, "[kill -9 of the worker] a new worker process %d ms after the kill; 360p %.1f s of 40 s, one marked gap%n",
                    restartMillis, seconds);
        }
    }

    /** The EXTINF durations of a media playlist, in order. */
    static List<Double> extinf(String playlist) {
        return playlist.lines().filter(l -> l.startsWith("#EXTINF:"))
                .map(l -> Double.parseDouble(l.substring("#EXTINF:".length(), l.indexOf(',')))).toList();
    }
}
