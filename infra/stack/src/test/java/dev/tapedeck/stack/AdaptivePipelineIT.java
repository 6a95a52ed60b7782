package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.JobStatusChanged;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The transcoder in the pipeline: nginx-rtmp, FFmpeg publishers, the embedded broker and S3 server, every
 * service as its own JVM and the transcoder's workers as child JVMs. A published source becomes an
 * adaptive replay whose renditions cut at the same media times.
 */
@Order(4)
@Execution(ExecutionMode.SAME_THREAD) // a 1080p ladder, and READY within 5 s of the unpublish
class AdaptivePipelineIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    /** One frame at 30 fps, in seconds: the tolerance for aligned boundaries. */
    static final double FRAME = 1 / 30.0;

    @BeforeAll
    static void start() throws Exception {
        // Players kept after the publisher leaves and told nothing, as SRS does: the worker is asked to finish when its
        // source is unpublished, so every rung still ends with the source.
        stack = sharedStack(PLAY_RESTART_OFF, AdaptivePipelineIT::playRestartOff);
    }

    /** The shared stack that transcodes with the media server's play_restart off: this class and {@link EncoderMatrixIT}. */
    static final String PLAY_RESTART_OFF = "play-restart-off";

    static Stack.Settings playRestartOff(Stack.Settings s) {
        return s.playRestart(false);
    }

    /** Long enough for three slices (10 s) and two of them whole, the last one short. */
    static final int FULL_HD_SECONDS = 24;

    @Test
    void fullHdSourceBecomesAnAdaptiveReplayWithAlignedRenditions() throws Exception {
        String id = publishAndAwaitReady(stack, data, "fullhd", 1920, 1080, FULL_HD_SECONDS);
        String master = get(stack.apiUrl() + "/vod/" + id + "/master.m3u8");
        List<String> variants = ReplayCheck.variants(master);
        assertThat(variants).as(master).containsExactlyInAnyOrder("source", "720p", "480p", "360p");
        StringBuilder frames = new StringBuilder();
        for (String v : variants) {
            frames.append(", ").append(v).append(' ').append(ReplayCheck.videoFrames(stack, id, v)).append(" in ").append(
                    get(stack.apiUrl() + "/vod/" + id + "/" + v + "/index.m3u8").lines().filter(l -> l.startsWith("#EXTINF:"))
                            .map(l -> l.substring(8, l.indexOf(','))).toList());
        }
        System.out.printf("[fullhd] video frames: published %d%s%n", FULL_HD_SECONDS * 30, frames);
        List<Long> bandwidths = Pattern.compile("BANDWIDTH=(\\d+)").matcher(master).results()
                .filter(r -> master.charAt(r.start() - 1) != '-').map(r -> Long.parseLong(r.group(1))).toList();
        assertThat(bandwidths).as("highest bandwidth first").hasSize(4).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(master).contains("RESOLUTION=1920x1080").contains("RESOLUTION=1280x720").contains("RESOLUTION=854x480")
                .contains("RESOLUTION=640x360").contains("AVERAGE-BANDWIDTH=");
        assertThat(ReplayCheck.frameRates(master)).as("every variant's FRAME-RATE, the audio after the last picture not counted: %s",
                master).containsExactly(30.0, 30.0, 30.0, 30.0);
        Map<String, Integer> heights = Map.of("source", 1080, "720p", 720, "480p", 480, "360p", 360);

        Map<String, List<Double>> starts = new LinkedHashMap<>();
        for (String rendition : variants) {
            String playlist = stack.apiUrl() + "/vod/" + id + "/" + rendition + "/index.m3u8";
            assertThat(MediaTools.decodeErrors(playlist)).as("%s decodes fully", rendition).isEmpty();
            // ffprobe lists an HLS stream once per program it belongs to.
            assertThat(MediaTools.probe(playlist, "-select_streams", "v", "-show_entries", "stream=height").stream().distinct())
                    .as(rendition).containsExactly(String.valueOf(heights.get(rendition)));
            assertThat(MediaTools.duration(playlist)).as("%s duration", rendition).isCloseTo(FULL_HD_SECONDS, within(1.0));
            starts.put(rendition, ReplayCheck.segmentStarts(stack, id, rendition));
        }
        List<Double> source = starts.get("source");
        assertThat(source.size()).as("24 s in 5 s segments (10 s slices), cut on the grid and at slice ends").isBetween(5, 8);
        for (String rung : List.of("720p", "480p", "360p")) {
            List<Double> own = starts.get(rung);
            assertThat(own).as("%s has the source's segments", rung).hasSameSizeAs(source);
            for (int i = 0; i < source.size(); i++) {
                assertThat(own.get(i)).as("%s segment %d starts where the source's does", rung, i)
                        .isCloseTo(source.get(i), within(FRAME));
            }
        }

        try (TopicReader jobs = new TopicReader(stack.kafkaBootstrap(), Topics.JOBS)) {
            assertThat(jobs.readToEnd().stream().map(r -> r.value().data()).filter(JobStatusChanged.class::isInstance)
                    .map(JobStatusChanged.class::cast).filter(j -> j.sessionId().equals(id)).map(JobStatusChanged::status).toList())
                    .as("the worker's states").containsExactly(JobStatusChanged.Status.STARTING, JobStatusChanged.Status.COMPLETE);
        }
    }

    @Test
    void sdSourceIsNotUpscaled() throws Exception {
        String id = publishAndAwaitReady(stack, data, "sd", 854, 480, 12);
        String master = get(stack.apiUrl() + "/vod/" + id + "/master.m3u8");
        assertThat(ReplayCheck.variants(master)).as(master).containsExactly("source", "360p");
        assertThat(master).contains("RESOLUTION=854x480").contains("RESOLUTION=640x360");
        assertThat(MediaTools.decodeErrors(stack.apiUrl() + "/vod/" + id + "/360p/index.m3u8")).isEmpty();
    }

    /**
     * Publishes a generated 30 fps file of this size and length as {@code live/{stream}} to {@code stack} in real time,
     * the file and the publisher's log under {@code data}; returns the recording id once its replay is READY.
     */
    static String publishAndAwaitReady(Stack stack, Path data, String stream, int width, int height, int seconds) throws Exception {
        return publishAndAwaitReady(stack, data, stream, width, height, "30", seconds, MediaTools.Encoder.X264_DEFAULTS);
    }

    /** As {@link #publishAndAwaitReady(Stack, Path, String, int, int, int)}, at {@code fps} and encoded as {@code encoder} says. */
    static String publishAndAwaitReady(Stack stack, Path data, String stream, int width, int height, String fps, double seconds,
            MediaTools.Encoder encoder) throws Exception {
        Published p = publish(stack, data, stream, width, height, fps, seconds, encoder);
        assertThat(p.rungs()).as("every rung is filed under the source's recording")
                .isNotEmpty().allSatisfy(r -> assertThat(r.recordingId()).isEqualTo(p.id()));
        return p.id();
    }

    /** A replay that became READY: its recording id, and the rungs the transcoder published for its stream. */
    record Published(String id, List<StreamPublished> rungs) {
    }

    /**
     * Publishes as {@link #publishAndAwaitReady(Stack, Path, String, int, int, String, double, MediaTools.Encoder)} does
     * and waits for READY, without asking for a ladder (a first stream may end before the transcoder's consumer has its
     * partitions).
     */
    static Published publish(Stack stack, Path data, String stream, int width, int height, String fps, double seconds,
            MediaTools.Encoder encoder) throws Exception {
        Path media = data.resolve(stream + ".flv");
        MediaTools.makeFlv(media, width, height, fps, seconds, encoder);
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS)) {
            try (Publisher publisher = Publisher.file(stack.rtmpUrl("live", stream), media, data.resolve(stream + ".log"))) {
                assertThat(publisher.await()).as(publisher.output()).isZero();
            }
            StreamPublished published = (StreamPublished) streams.await(r -> r.value().data() instanceof StreamPublished p
                    && p.stream().equals(stream), Duration.ofSeconds(10)).value().data();
            String id = published.recordingId();
            CatalogEntry ready = (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id) && c.status() == CatalogEntry.Status.READY, Duration.ofSeconds(120)).value().data();
            StreamUnpublished unpublished = (StreamUnpublished) streams.await(r -> r.value().data() instanceof StreamUnpublished u
                    && u.sessionId().equals(published.sessionId()), Duration.ofSeconds(10)).value().data();
            Duration afterUnpublish = Duration.between(unpublished.unpublishedAt(), ready.updatedAt());
            System.out.printf(java.util.Locale.ROOT, "[%s] READY %.1f s after the unpublish, %s%n", stream,
                    afterUnpublish.toMillis() / 1000.0, ready.renditions().stream().map(CatalogEntry.Rendition::name).toList());
            // Not a timing target: a rung held open until the worker's I/O timeout (15 s) or the reconnect window (30 s)
            // would take longer. (On a busy machine the worker has taken 7.6 s to finish its rungs.)
            assertThat(afterUnpublish).as("every rendition closed with the source").isLessThan(Duration.ofSeconds(10));
            List<StreamPublished> rungs = streams.readToEnd().stream().map(r -> r.value().data())
                    .filter(d -> d instanceof StreamPublished p && p.derived() && p.sourceStreamKey().equals(published.streamKey()))
                    .map(StreamPublished.class::cast).toList();
            return new Published(id, rungs);
        }
    }
}
