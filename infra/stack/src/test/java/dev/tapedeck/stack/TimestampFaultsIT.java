package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.testkit.FlvTags;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.RtmpPublisher;
import dev.tapedeck.testkit.TopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishers whose timestamps misbehave, through nginx-rtmp: an encoder restarted on the same connection (its
 * timestamps start again near zero), one that jumps forward an hour, one that runs across the 32-bit wrap. The tags
 * go out as they are ({@link RtmpPublisher}; FFmpeg's muxer would correct them), in real time; each replay must be
 * READY, decode without an error line, and last what was published, within 1 s.
 */
class TimestampFaultsIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    private static List<FlvTags.Tag> clip;

    @BeforeAll
    static void start() throws Exception {
        stack = recordingOnlyStack();
        Path file = data.resolve("clip.flv");
        MediaTools.makeFlv(file, 640, 360, 30, 6);
        clip = FlvTags.media(FlvTags.read(file), t -> t);
    }

    record Replay(List<SliceStored> slices, RecordingClosed closed, double seconds) {
        int faults(String kind) {
            return closed.timestampFaults().getOrDefault(kind, 0);
        }
    }

    private static Replay publish(String stream, List<FlvTags.Tag> tags) throws Exception {
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader slices = new TopicReader(stack.kafkaBootstrap(), Topics.SLICES);
                TopicReader vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS)) {
            try (RtmpPublisher publisher = RtmpPublisher.open(stack.rtmpUrl("live", stream), Duration.ofSeconds(30))) {
                publisher.send(tags);
            }
            StreamPublished p = (StreamPublished) streams.await(r -> r.value() != null && r.value().data() instanceof StreamPublished sp
                    && sp.stream().equals(stream), Duration.ofSeconds(10)).value().data();
            String id = p.recordingId();
            vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                    && c.status() == CatalogEntry.Status.READY, Duration.ofSeconds(90));
            List<Object> events = slices.readToEnd().stream().map(ConsumerRecord::value).map(CloudEvent::data).map(Object.class::cast).toList();
            List<SliceStored> stored = events.stream().filter(d -> d instanceof SliceStored s && s.recordingId().equals(id))
                    .map(SliceStored.class::cast).toList();
            RecordingClosed closed = events.stream().filter(d -> d instanceof RecordingClosed c && c.recordingId().equals(id))
                    .map(RecordingClosed.class::cast).reduce((a, b) -> b).orElseThrow();
            String master = stack.apiUrl() + "/vod/" + id + "/master.m3u8";
            assertThat(MediaTools.decodeErrors(master)).as("decode of the whole replay").isEmpty();
            for (SliceStored s : stored) {
                assertThat(MediaTools.decodeErrors(stack.bucketDir().resolve(s.objectKey()).toString())).as("slice %d on its own", s.seq()).isEmpty();
                assertThat(s.lastDtsMillis()).as("slice %d is monotonic", s.seq()).isGreaterThanOrEqualTo(s.firstDtsMillis());
            }
            java.util.Map<String, Double> previousEnd = new java.util.HashMap<>();
            for (int i = 0; i < stored.size(); i++) {
                if (i > 0) {
                    // A slice's last audio may be decoded after the next slice's first keyframe (audio shown before that
                    // keyframe stays in the slice before it), so slices continue each other on the slice timeline.
                    SliceStored previous = stored.get(i - 1);
                    assertThat(stored.get(i).firstDtsMillis()).as("slice %d begins where slice %d ends", i, i - 1)
                            .isGreaterThanOrEqualTo(previous.firstDtsMillis() + previous.durationMillis());
                }
                // The files themselves, not only the events: in each stream, each slice's packets come after the previous
                // slice's.
                java.util.Map<String, List<Double>> dts = MediaTools.probe(stack.bucketDir().resolve(stored.get(i).objectKey()).toString(),
                        "-show_entries", "packet=stream_index,dts_time").stream().map(l -> l.split(",")).filter(f -> f.length >= 2 && !f[1].isBlank())
                        .collect(java.util.stream.Collectors.groupingBy(f -> f[0],
                                java.util.stream.Collectors.mapping(f -> Double.parseDouble(f[1]), java.util.stream.Collectors.toList())));
                for (var packets : dts.entrySet()) {
                    double first = packets.getValue().stream().mapToDouble(d -> d).min().orElseThrow();
                    assertThat(first).as("stream %s of slice %d's file starts after slice %d's", packets.getKey(), i, i - 1)
                            .isGreaterThan(previousEnd.getOrDefault(packets.getKey(), -1.0));
                    previousEnd.put(packets.getKey(), packets.getValue().stream().mapToDouble(d -> d).max().orElseThrow());
                }
            }
            Replay r = new Replay(stored, closed, MediaTools.duration(master));
            System.out.printf(Locale.ROOT, "[%s] %d slices, causes %s, faults %s; replay %.1f s%n", stream, stored.size(),
                    stored.stream().map(s -> String.valueOf(s.media().discontinuityCause())).toList(), closed.timestampFaults(), r.seconds());
            return r;
        }
    }

    @Test
    void anEncoderThatRestartsOnItsConnectionIsRecordedWhole() throws Exception {
        List<FlvTags.Tag> tags = new ArrayList<>(clip);
        tags.addAll(clip); // the timestamps start again at 0
        Replay r = publish("restart", tags);
        assertThat(r.faults("ROLLBACK")).isEqualTo(1);
        assertThat(r.slices()).filteredOn(s -> "TIMESTAMP_ROLLBACK".equals(s.media().discontinuityCause())).hasSize(1);
        assertThat(r.seconds()).isCloseTo(12.0, within(1.0));
    }

    @Test
    void anHourLongJumpLeavesNoHourLongHole() throws Exception {
        List<FlvTags.Tag> tags = new ArrayList<>(clip);
        tags.addAll(FlvTags.media(clip, t -> t + 3_600_000 + 6_100));
        Replay r = publish("jump", tags);
        assertThat(r.faults("FORWARD_JUMP")).isEqualTo(1);
        assertThat(r.slices()).filteredOn(s -> "TIMESTAMP_FORWARD_JUMP".equals(s.media().discontinuityCause())).hasSize(1);
        assertThat(r.seconds()).isCloseTo(12.0, within(1.0));
    }

    @Test
    void timestampsThatRunAcrossThe32BitWrapGoOn() throws Exception {
        // The clip starts 3 s below 2^32 ms and crosses it half-way.
        Replay r = publish("wrap", FlvTags.media(clip, t -> t + (1L << 32) - 3_000));
        assertThat(r.closed().timestampFaults().keySet()).as("a wrap is no rollback or jump").doesNotContain("ROLLBACK", "FORWARD_JUMP");
        assertThat(r.seconds()).isCloseTo(6.0, within(1.0));
    }
}
