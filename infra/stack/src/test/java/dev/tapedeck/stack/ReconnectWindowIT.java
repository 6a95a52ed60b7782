package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A publisher that is killed and comes back: within the reconnect window (10 s here) it continues its recording,
 * rungs included, after one marked discontinuity; after the window it opens a new recording.
 */
class ReconnectWindowIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    static final String NAME = "comeback";

    @BeforeAll
    static void start() throws Exception {
        // Its own stack: its own reconnect window, and it kills a publisher that must not be mistaken for another's.
        stack = startStack(data, s -> s.sliceLength(Duration.ofSeconds(4)).recorders(1).env("TAPEDECK_HOOK_RECONNECT_WINDOW", "10s"));
    }

    @Test
    void aPublisherBackWithinTheWindowContinuesItsRecordingAndAfterItOpensANewOne() throws Exception {
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader slices = new TopicReader(stack.kafkaBootstrap(), Topics.SLICES)) {
            Publisher first = Publisher.start(stack.rtmpUrl("live", NAME), 854, 480, 30, 120, data.resolve("first.log"));
            StreamPublished a = publishedAfter(streams, null);
            String id = a.recordingId();
            slices.await(r -> r.value().data() instanceof SliceStored s && s.recordingId().equals(id) && s.rendition().equals("source")
                    && s.seq() >= 1, Duration.ofSeconds(60));
            first.kill();
            StreamUnpublished end = (StreamUnpublished) streams.await(r -> r.value().data() instanceof StreamUnpublished u
                    && a.sessionId().equals(u.sessionId()), Duration.ofSeconds(30)).value().data();
            assertThat(end.recordingId()).isEqualTo(id);
            RecordingClosed firstEnd = (RecordingClosed) slices.await(x -> x.value().data() instanceof RecordingClosed c
                    && c.recordingId().equals(id) && c.rendition().equals("source"), Duration.ofSeconds(30)).value().data();

            // Back after 5 s: the same recording.
            pause(Duration.ofSeconds(5));
            try (Publisher second = Publisher.start(stack.rtmpUrl("live", NAME), 854, 480, 30, 8, data.resolve("second.log"))) {
                StreamPublished b = publishedAfter(streams, a);
                assertThat(b.recordingId()).as("continues the recording").isEqualTo(id);
                assertThat(b.reconnected()).isTrue();
                assertThat(second.await()).as(second.output()).isZero();
            }
            // The first part was READY once; wait for the READY that follows the second part's end.
            RecordingClosed secondEnd = (RecordingClosed) slices.await(x -> x.value().data() instanceof RecordingClosed c
                    && c.recordingId().equals(id) && c.rendition().equals("source") && c.lastSeq() > firstEnd.lastSeq(), Duration.ofSeconds(60))
                    .value().data();
            try (TopicReader vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS)) {
                vods.await(x -> x.value() != null && x.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                        && c.status() == CatalogEntry.Status.READY && !c.updatedAt().isBefore(secondEnd.closedAt()), Duration.ofSeconds(60));
            }
            ReplayCheck.Result r = ReplayCheck.check(stack, id, 1);
            SliceStored after = r.slices().stream().filter(SliceStored::discontinuity).findFirst().orElseThrow();
            assertThat(after.media().discontinuityCause()).isEqualTo("REPUBLISHED");
            List<RecordingClosed> closes = slices.readToEnd().stream().filter(x -> x.value().data() instanceof RecordingClosed c
                    && c.recordingId().equals(id) && c.rendition().equals("source")).map(x -> (RecordingClosed) x.value().data()).toList();
            assertThat(closes).as("each part ended by its unpublish").hasSize(2)
                    .allMatch(c -> c.reason() == RecordingClosed.Reason.UNPUBLISHED);
            assertThat(closes.get(1).gaps()).singleElement().satisfies(g -> assertThat(g.cause()).isEqualTo("REPUBLISHED"));
            for (String rung : List.of("360p")) {
                String playlist = get(stack.apiUrl() + "/vod/" + id + "/" + rung + "/index.m3u8");
                assertThat(playlist.split("#EXT-X-DISCONTINUITY\n", -1)).as("%s joined the same recording after one gap", rung).hasSize(2);
                assertThat(playlist).endsWith("#EXT-X-ENDLIST\n");
            }
            assertThat(get(stack.apiUrl() + "/vod/" + id + "/master.m3u8")).contains("360p/index.m3u8");
            System.out.printf(Locale.ROOT, "[republished after 5 s] one recording, %d slices, one discontinuity; replay %.1f s%n",
                    r.slices().size(), r.replaySeconds());

            // Back after the window: a new recording.
            StreamPublished b = (StreamPublished) streams.readToEnd().stream().filter(x -> x.value().data() instanceof StreamPublished p
                    && p.stream().equals(NAME) && p.recordingId().equals(id) && !p.sessionId().equals(a.sessionId()))
                    .findFirst().orElseThrow().value().data();
            StreamUnpublished bEnd = (StreamUnpublished) streams.await(x -> x.value().data() instanceof StreamUnpublished u
                    && b.sessionId().equals(u.sessionId()), Duration.ofSeconds(30)).value().data();
            pause(Duration.between(Instant.now(), bEnd.unpublishedAt().plusSeconds(11)));
            try (Publisher third = Publisher.start(stack.rtmpUrl("live", NAME), 854, 480, 30, 6, data.resolve("third.log"))) {
                StreamPublished c = publishedAfter(streams, b);
                assertThat(c.recordingId()).as("a new recording").isEqualTo(c.sessionId()).isNotEqualTo(id);
                assertThat(c.reconnected()).isFalse();
                assertThat(third.await()).as(third.output()).isZero();
                ReplayCheck.Result n = ReplayCheck.check(stack, c.recordingId(), 0);
                assertThat(n.replaySeconds()).isGreaterThan(5.0);
                assertThat(MediaTools.decodeErrors(stack.apiUrl() + "/vod/" + c.recordingId() + "/master.m3u8")).isEmpty();
            }
        }
    }

    /** The source's next StreamPublished after {@code previous} (the first one when null). */
    private static StreamPublished publishedAfter(TopicReader streams, StreamPublished previous) {
        return (StreamPublished) streams.await(r -> r.value().data() instanceof StreamPublished p && p.stream().equals(NAME)
                && !p.derived() && (previous == null || p.publishedAt().isAfter(previous.publishedAt())), Duration.ofSeconds(30)).value().data();
    }

    /** The publisher's absence: the scenario, not a wait for a result. */
    private static void pause(Duration d) throws InterruptedException {
        if (!d.isNegative()) {
            Thread.sleep(d.toMillis());
        }
    }
}
