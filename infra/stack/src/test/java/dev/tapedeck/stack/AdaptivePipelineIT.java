package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.JobStatusChanged;
import dev.tapedeck.contract.event.StreamPublished;
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
import org.junit.jupiter.api.Test;

/**
 * The transcoder in the pipeline: nginx-rtmp, FFmpeg publishers, the embedded broker and S3 server, every
 * service as its own JVM and the transcoder's workers as child JVMs. A published source becomes an
 * adaptive replay whose renditions cut at the same media times.
 */
class AdaptivePipelineIT extends StackTest {
    /** One frame at 30 fps, in seconds: the tolerance for aligned boundaries. */
    static final double FRAME = 1 / 30.0;

    @BeforeAll
    static void start() throws Exception {
        startStack(s -> s);
    }

    @Test
    void fullHdSourceBecomesAnAdaptiveReplayWithAlignedRenditions() throws Exception {
        String id = publishAndAwaitReady("fullhd", 1920, 1080, 40);
        String master = get(stack.apiUrl() + "/vod/" + id + "/master.m3u8");
        List<String> variants = variants(master);
        assertThat(variants).as(master).containsExactlyInAnyOrder("source", "720p", "480p", "360p");
        List<Long> bandwidths = Pattern.compile("BANDWIDTH=(\\d+)").matcher(master).results()
                .filter(r -> master.charAt(r.start() - 1) != '-').map(r -> Long.parseLong(r.group(1))).toList();
        assertThat(bandwidths).as("highest bandwidth first").hasSize(4).isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(master).contains("RESOLUTION=1920x1080").contains("RESOLUTION=1280x720").contains("RESOLUTION=854x480")
                .contains("RESOLUTION=640x360").contains("FRAME-RATE=30.0").contains("AVERAGE-BANDWIDTH=");
        Map<String, Integer> heights = Map.of("source", 1080, "720p", 720, "480p", 480, "360p", 360);

        Map<String, List<Double>> starts = new LinkedHashMap<>();
        for (String rendition : variants) {
            String playlist = stack.apiUrl() + "/vod/" + id + "/" + rendition + "/index.m3u8";
            assertThat(MediaTools.decodeErrors(playlist)).as("%s decodes fully", rendition).isEmpty();
            // ffprobe lists an HLS stream once per program it belongs to.
            assertThat(MediaTools.probe(playlist, "-select_streams", "v", "-show_entries", "stream=height").stream().distinct())
                    .as(rendition).containsExactly(String.valueOf(heights.get(rendition)));
            assertThat(MediaTools.duration(playlist)).as("%s duration", rendition).isCloseTo(40, within(1.0));
            starts.put(rendition, segmentStarts(id, rendition));
        }
        List<Double> source = starts.get("source");
        assertThat(source.size()).as("40 s in 5 s segments (10 s slices), cut on the grid and at slice ends").isBetween(7, 12);
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
        String id = publishAndAwaitReady("sd", 854, 480, 12);
        String master = get(stack.apiUrl() + "/vod/" + id + "/master.m3u8");
        assertThat(variants(master)).as(master).containsExactly("source", "360p");
        assertThat(master).contains("RESOLUTION=854x480").contains("RESOLUTION=640x360");
        assertThat(MediaTools.decodeErrors(stack.apiUrl() + "/vod/" + id + "/360p/index.m3u8")).isEmpty();
    }

    /**
     * Publishes a generated 30 fps file of this size and length as {@code live/{stream}} in real time; returns the
     * recording id once its replay is READY.
     */
    static String publishAndAwaitReady(String stream, int width, int height, int seconds) throws Exception {
        Path media = data.resolve(stream + ".flv");
        MediaTools.makeFlv(media, width, height, 30, seconds);
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS)) {
            try (Publisher publisher = Publisher.file(stack.rtmpUrl("live", stream), media, data.resolve(stream + ".log"))) {
                assertThat(publisher.await()).as(publisher.output()).isZero();
            }
            StreamPublished published = (StreamPublished) streams.await(r -> r.value().data() instanceof StreamPublished p
                    && p.stream().equals(stream), Duration.ofSeconds(10)).value().data();
            String id = published.recordingId();
            vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                    && c.status() == CatalogEntry.Status.READY, Duration.ofSeconds(120));
            List<StreamPublished> rungs = streams.readToEnd().stream().map(r -> r.value().data())
                    .filter(d -> d instanceof StreamPublished p && p.derived() && p.sourceStreamKey().equals(published.streamKey()))
                    .map(StreamPublished.class::cast).toList();
            assertThat(rungs).as("every rung is filed under the source's recording")
                    .isNotEmpty().allSatisfy(p -> assertThat(p.recordingId()).isEqualTo(id));
            return id;
        }
    }

    /** The master playlist's variant names, in order. */
    static List<String> variants(String master) {
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^([^#\\s][^/]*)/index\\.m3u8$").matcher(master);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The PTS of each segment's first video frame, read from the stored segments with ffprobe. */
    static List<Double> segmentStarts(String id, String rendition) throws Exception {
        Path dir = stack.bucketDir().resolve("vod").resolve(id).resolve(rendition);
        List<Double> starts = new ArrayList<>();
        for (String line : get(stack.apiUrl() + "/vod/" + id + "/" + rendition + "/index.m3u8").lines().toList()) {
            if (!line.startsWith("#") && !line.isBlank()) {
                String first = MediaTools.probe(dir.resolve(line.strip()).toString(), "-select_streams", "v",
                        "-read_intervals", "%+#1", "-show_entries", "packet=pts_time").get(0);
                starts.add(Double.parseDouble(first.replace(",", "")));
            }
        }
        return starts;
    }
}
