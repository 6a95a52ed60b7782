package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.testkit.FlvTags;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What real publishers send that is not a steady 16:9 stream with audio: a resolution change, audio only, video only. */
class PublisherMediaIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        stack = recordingOnlyStack();
    }

    /** Publishes a file as it is, in real time, and returns the recording's stored slices once its replay is READY. */
    private static Replay publish(String stream, Path media) throws Exception {
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader slices = new TopicReader(stack.kafkaBootstrap(), Topics.SLICES);
                TopicReader vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS);
                Publisher publisher = Publisher.file(stack.rtmpUrl("live", stream), media, data.resolve(stream + ".log"))) {
            StreamPublished p = (StreamPublished) streams.await(r -> r.value() != null && r.value().data() instanceof StreamPublished sp
                    && sp.stream().equals(stream), Duration.ofSeconds(30)).value().data();
            assertThat(publisher.await()).as(publisher.output()).isZero();
            String id = p.recordingId();
            vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                    && c.status() == CatalogEntry.Status.READY, Duration.ofSeconds(90));
            List<SliceStored> stored = slices.readToEnd().stream().map(ConsumerRecord::value).map(CloudEvent::data)
                    .filter(d -> d instanceof SliceStored s && s.recordingId().equals(id)).map(SliceStored.class::cast).toList();
            String master = stack.apiUrl() + "/vod/" + id + "/master.m3u8";
            assertThat(MediaTools.decodeErrors(master)).as("decode of the whole replay").isEmpty();
            return new Replay(id, stored, MediaTools.duration(master), get(stack.apiUrl() + "/vod/" + id + "/source/index.m3u8"),
                    p.publishedAt());
        }
    }

    record Replay(String id, List<SliceStored> slices, double seconds, String playlist, java.time.Instant publishedAt) {
    }

    @Test
    void aStreamThatChangesResolutionMidStreamIsRecordedInSlicesThatEachPlayAtTheirOwnSize() throws Exception {
        Path a = data.resolve("720p.flv");
        Path b = data.resolve("480p.flv");
        MediaTools.makeFlv(a, 1280, 720, 30, 8);
        MediaTools.makeFlv(b, 854, 480, 30, 8);
        Path change = data.resolve("change.flv");
        FlvTags.concatenate(a, b, change);

        Replay r = publish("resize", change);
        List<String> sizes = r.slices().stream().map(s -> MediaTools.probe(stack.bucketDir().resolve(s.objectKey()).toString(),
                "-select_streams", "v", "-show_entries", "stream=width,height").get(0)).toList();
        assertThat(sizes).as("each slice's own size, in order").first().isEqualTo("1280,720");
        assertThat(sizes).last().isEqualTo("854,480");
        assertThat(sizes).as("720p slices, then 480p ones").isSortedAccordingTo((x, y) -> x.equals(y) ? 0 : x.equals("1280,720") ? -1 : 1);
        for (SliceStored s : r.slices()) {
            assertThat(MediaTools.decodeErrors(stack.bucketDir().resolve(s.objectKey()).toString())).as("slice %d on its own", s.seq()).isEmpty();
        }
        assertThat(r.slices()).filteredOn(SliceStored::discontinuity).as("the change is marked once").singleElement()
                .satisfies(s -> assertThat(s.media().discontinuityCause()).isEqualTo("CODEC_CHANGE"));
        assertThat(r.slices()).extracting(s -> s.media().width() + "," + s.media().height()).as("the events say the same")
                .containsExactlyElementsOf(sizes);
        assertThat(r.playlist()).contains("#EXT-X-DISCONTINUITY\n");
        assertThat(r.seconds()).isCloseTo(16.0, within(1.0));
        System.out.printf(Locale.ROOT, "[720p -> 480p mid-stream] %d slices %s; replay %.1f s of 16 s%n", r.slices().size(), sizes, r.seconds());
    }

    @Test
    void recordingStartsWithTheFirstFramesAndKeepsWhatWasPublished() throws Exception {
        Path media = data.resolve("steady.flv");
        MediaTools.makeFlv(media, 640, 360, 30, 20);
        Replay r = publish("steady", media);
        SliceStored first = r.slices().get(0);
        long recorded = r.slices().stream().mapToLong(SliceStored::durationMillis).sum();
        // The first slice's first DTS is where the recording began: at the publisher's first video frame (21 ms into
        // the file: its audio comes first), which is a keyframe. The next keyframe is 1 s later.
        long firstFrame = Long.parseLong(MediaTools.probe(media.toString(), "-select_streams", "v", "-read_intervals", "%+#1",
                "-show_entries", "packet=dts").get(0).replace(",", ""));
        assertThat(first.firstDtsMillis()).as("recording began with the first frame").isEqualTo(firstFrame);
        assertThat(recorded / 20_000.0).as("share of the published 20 s that was recorded").isGreaterThanOrEqualTo(0.99);
        assertThat(first.firstPacketAt()).as("the wall clock of the slice's first packet").isNotNull()
                .isAfterOrEqualTo(r.publishedAt()).isBefore(first.storedAt());
        assertThat(r.playlist()).as("segments dated from it").contains("#EXT-X-PROGRAM-DATE-TIME:");
        System.out.printf(Locale.ROOT, "[start on time] first recorded DTS %d ms; recorded %.1f s of 20 s (%.1f %%)%n",
                first.firstDtsMillis(), recorded / 1000.0, recorded / 200.0);
    }

    @ParameterizedTest
    @CsvSource({"audio-only, false, true", "video-only, true, false"})
    void aPublisherWithOneTrackIsRecordedWhole(String name, boolean video, boolean audio) throws Exception {
        Path media = data.resolve(name + ".flv");
        MediaTools.makeFlv(media, 640, 360, 30, 12, video, audio);
        Replay r = publish(name, media);
        assertThat(r.seconds()).isCloseTo(12.0, within(1.0));
        for (SliceStored s : r.slices()) {
            assertThat(s.media().videoPackets() > 0).as("slice %d has video", s.seq()).isEqualTo(video);
            assertThat(s.media().audioPackets() > 0).as("slice %d has audio", s.seq()).isEqualTo(audio);
            assertThat(s.media().audioCodec()).isEqualTo(audio ? "mp4a.40.2" : null);
            assertThat(s.media().width()).isEqualTo(video ? 640 : 0);
        }
        System.out.printf(Locale.ROOT, "[%s] %d slices; replay %.1f s of 12 s%n", name, r.slices().size(), r.seconds());
    }
}
