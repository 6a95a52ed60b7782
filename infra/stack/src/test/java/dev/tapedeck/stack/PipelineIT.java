package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TopicReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path on real parts: nginx-rtmp, an FFmpeg publisher, the embedded Kafka broker and S3
 * server, and every service as its own JVM.
 */
class PipelineIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    static final double PUBLISHED_SECONDS = 30;

    @BeforeAll
    static void start() throws Exception {
        // Its own stack: the only one with the default 10 s slices and two recorders, without transcoding.
        // The default pool: every stream also pulled by a standby on the other replica.
        stack = startStack(data, s -> s.transcode(false).env("TAPEDECK_RECORDER_REDUNDANCY", "2"));
    }

    @Test
    void publishedStreamBecomesAReadyReplayThatPlaysForThePublishedDuration() throws Exception {
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader slices = new TopicReader(stack.kafkaBootstrap(), Topics.SLICES);
                TopicReader vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS)) {
            int exit;
            String liveRecording;
            try (Publisher publisher = Publisher.start(stack.rtmpUrl("live", "e2e"), 1280, 720, 30, PUBLISHED_SECONDS,
                    data.resolve("publisher.log"))) {
                // While it is published, the API lists it live (from the live registry), with its recording.
                HttpRequest asked = HttpRequest.newBuilder(URI.create(stack.apiUrl() + "/api/v1/streams/live/e2e")).build();
                long listedBy = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                HttpResponse<String> live = HTTP.send(asked, HttpResponse.BodyHandlers.ofString());
                while (live.statusCode() == 404 && System.nanoTime() < listedBy) {
                    Thread.sleep(100);
                    live = HTTP.send(asked, HttpResponse.BodyHandlers.ofString());
                }
                assertThat(live.statusCode()).as(live.body()).isEqualTo(200);
                JsonNode listedLive = new ObjectMapper().readTree(live.body());
                assertThat(listedLive.path("streamKey").asText()).isEqualTo("__defaultVhost__/live/e2e");
                liveRecording = listedLive.path("recordingId").asText();
                exit = publisher.await();
                assertThat(exit).as(publisher.output()).isZero();
            }
            StreamPublished published = (StreamPublished) streams.await(r -> r.value().data() instanceof StreamPublished p
                    && p.stream().equals("e2e"), Duration.ofSeconds(10)).value().data();
            String id = published.recordingId();
            assertThat(liveRecording).as("listed live with the recording it writes").isEqualTo(id);
            ConsumerRecord<String, CloudEvent<?>> readyRecord = vods.await(r -> r.value() != null
                    && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                    && c.status() == CatalogEntry.Status.READY, Duration.ofSeconds(90));
            CatalogEntry ready = (CatalogEntry) readyRecord.value().data();

            // Lifecycle, slice and catalog events, in order.
            ConsumerRecord<String, CloudEvent<?>> unpublished = streams.await(r -> r.value().data() instanceof StreamUnpublished u
                    && u.stream().equals("e2e"), Duration.ofSeconds(30));
            List<ConsumerRecord<String, CloudEvent<?>>> ofRecording = slices.readToEnd().stream()
                    .filter(r -> r.key().equals(Topics.sliceKey(id, "source"))).toList();
            List<SliceStored> stored = ofRecording.stream().filter(r -> r.value().data() instanceof SliceStored)
                    .map(r -> (SliceStored) r.value().data()).toList();
            CloudEvent<?> last = ofRecording.get(ofRecording.size() - 1).value();
            assertThat(last.data()).as("RecordingClosed comes after the last slice").isInstanceOf(RecordingClosed.class);
            RecordingClosed closed = (RecordingClosed) last.data();
            assertThat(stored).extracting(SliceStored::seq).as("slices in sequence").isSorted()
                    .containsExactlyElementsOf(Stream.iterate(0L, i -> i + 1).limit(stored.size()).toList());
            assertThat(stored.size()).as("30 s at 10 s slices").isBetween(2, 4);
            assertThat(closed.lastSeq()).isEqualTo(stored.size() - 1);
            assertThat(ofRecording.get(0).value().time()).isAfterOrEqualTo(
                    streams.seen().stream().filter(r -> r.value().data() instanceof StreamPublished p && p.recordingId().equals(id))
                            .findFirst().orElseThrow().value().time());
            assertThat(readyRecord.value().time()).isAfterOrEqualTo(last.time());
            assertThat(unpublished.value().time()).isAfter(streams.seen().stream()
                    .filter(r -> r.value().data() instanceof StreamPublished p && p.recordingId().equals(id))
                    .findFirst().orElseThrow().value().time());

            // Each slice plays on its own.
            for (SliceStored s : stored) {
                Path file = stack.bucketDir().resolve(s.objectKey());
                assertThat(file).exists();
                assertThat(Files.size(file)).isEqualTo(s.bytes());
                assertThat(MediaTools.probe(file.toString(), "-show_entries", "stream=codec_name")).containsExactlyInAnyOrder("h264", "aac");
                assertThat(MediaTools.decodeErrors(file.toString())).as("slice %d decodes alone", s.seq()).isEmpty();
            }

            // The replay decodes fully, and its segments add up to what was published.
            String master = stack.apiUrl() + "/vod/" + id + "/master.m3u8";
            assertThat(MediaTools.decodeErrors(master)).as("decode of the whole replay").isEmpty();
            assertThat(MediaTools.duration(master)).isCloseTo(PUBLISHED_SECONDS, within(1.0));
            String playlist = get(stack.apiUrl() + "/vod/" + id + "/source/index.m3u8");
            assertThat(playlist).contains("#EXT-X-PLAYLIST-TYPE:VOD").endsWith("#EXT-X-ENDLIST\n");
            double sum = 0;
            Matcher m = Pattern.compile("#EXTINF:([0-9.]+),").matcher(playlist);
            while (m.find()) {
                sum += Double.parseDouble(m.group(1));
            }
            assertThat(sum).as("sum of segment durations").isCloseTo(PUBLISHED_SECONDS, within(0.5));
            assertThat(ready.durationMillis() / 1000.0).isCloseTo(PUBLISHED_SECONDS, within(0.5));
            assertThat(get(master)).contains("RESOLUTION=1280x720").contains("CODECS=\"avc1.").contains("FRAME-RATE=");
            // The catalog's index has it READY; a title set by PATCH is in its stream's listing.
            String recording = stack.apiUrl() + "/api/v1/recordings/" + id;
            long indexed = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!get(recording).contains("\"status\":\"READY\"") && System.nanoTime() < indexed) {
                Thread.sleep(100);
            }
            assertThat(get(recording)).contains("\"status\":\"READY\"");
            HttpResponse<String> patched = HTTP.send(HttpRequest.newBuilder(URI.create(recording)).header("Content-Type", "application/json")
                    .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"title\": \"End to end\", \"tags\": [\"e2e\"]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);
            JsonNode listing = new ObjectMapper().readTree(get(stack.apiUrl() + "/api/v1/recordings?stream=live/e2e&status=READY"));
            assertThat(listing.path("items").findValuesAsText("id")).containsExactly(id);
            assertThat(listing.path("items").get(0).path("title").asText()).isEqualTo("End to end");
            assertThat(listing.path("items").get(0).path("durationMillis").asLong()).isEqualTo(ready.durationMillis());
            // Ended: no longer live.
            assertThat(new ObjectMapper().readTree(get(stack.apiUrl() + "/api/v1/live")).path("items").findValuesAsText("streamKey"))
                    .doesNotContain("__defaultVhost__/live/e2e");
            assertThat(stack.bucketDir().resolve("vod").resolve(id).resolve("master.m3u8")).exists();
        }
    }

    @Test
    void refusedPublishesWriteNoEventAndNoObject() throws Exception {
        Publisher hostile = Publisher.start(stack.rtmpUrl("live", "../x"), 320, 240, 10, 3, data.resolve("hostile.log"));
        assertThat(hostile.await()).as("nginx-rtmp drops the refused publisher").isNotZero();

        HttpResponse<String> srs = HTTP.send(HttpRequest.newBuilder(URI.create(stack.hookUrl() + "/hooks/srs"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"on_publish\",\"client_id\":\"1\",\"ip\":\"127.0.0.1\","
                        + "\"vhost\":\"__defaultVhost__\",\"app\":\"live\",\"stream\":\"..\\\\evil\",\"param\":\"\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(srs.statusCode()).isEqualTo(200);
        assertThat(srs.body()).doesNotContain("\"code\":0").contains("INVALID_NAME");

        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS)) {
            assertThat(streams.readToEnd()).noneMatch(r -> r.key().contains("..") || r.key().contains("evil"));
        }
        Path recordings = stack.bucketDir().resolve("recordings").resolve("live");
        if (Files.exists(recordings)) {
            try (Stream<Path> dirs = Files.list(recordings)) {
                assertThat(dirs.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains("..") || n.contains("evil") || n.equals("x"));
            }
        }
    }
}
