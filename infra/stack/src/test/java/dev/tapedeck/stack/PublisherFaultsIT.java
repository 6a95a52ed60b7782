package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.StreamUnpublished;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A media server that keeps players connected after the publisher left (nginx-rtmp with {@code play_restart off},
 * as SRS does), and one that dies under a publisher. Idle timeout 5 s here.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PublisherFaultsIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        // Its own stack: a short recorder idle timeout and play_restart off.
        stack = startStack(data, s -> s.transcode(false).sliceLength(Duration.ofSeconds(4)).recorders(1).playRestart(false)
                .env("TAPEDECK_RECORDER_IDLE_TIMEOUT", "5s"));
    }

    @Test
    @Order(1)
    void withPlayersKeptConnectedTheReplayIsReadyWithinSecondsOfTheUnpublish() throws Exception {
        try (LiveStream stream = new LiveStream(stack, data, "kept", 12)) {
            stream.awaitPublisher();
            stream.streams.await(r -> r.value() != null && r.value().data() instanceof StreamUnpublished u && u.stream().equals("kept"),
                    Duration.ofSeconds(30));
            long unpublished = System.nanoTime();
            stream.vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(stream.id())
                    && c.status() == CatalogEntry.Status.READY, Duration.ofSeconds(60));
            long readyMillis = (System.nanoTime() - unpublished) / 1_000_000;
            assertThat(readyMillis).as("READY after the unpublish, though the recorder's connection stays open").isLessThan(5_000);

            ReplayCheck.Result r = ReplayCheck.check(stack, stream.id(), 0);
            assertThat(closeOf(stream).reason()).isEqualTo(RecordingClosed.Reason.UNPUBLISHED);
            assertThat(r.replaySeconds()).isGreaterThan(11.0);
            System.out.printf(Locale.ROOT, "[play_restart off] READY %d ms after the unpublish; replay %.1f s of 12 s%n",
                    readyMillis, r.replaySeconds());
        }
    }

    @Test
    @Order(2)
    void aMediaServerThatDiesUnderItsPublisherEndsTheRecordingByTheIdleTimeout() throws Exception {
        try (LiveStream stream = new LiveStream(stack, data, "orphan", 120)) {
            stream.awaitSlice(1);
            // No publish_done will come: nginx is gone (for 3 s, then back without the publisher).
            long killed = System.nanoTime();
            stack.nginx().kill(Duration.ofSeconds(3));

            RecordingClosed closed = (RecordingClosed) stream.slices.await(r -> r.value() != null
                    && r.value().data() instanceof RecordingClosed c && c.recordingId().equals(stream.id()), Duration.ofSeconds(60)).value().data();
            long closedMillis = (System.nanoTime() - killed) / 1_000_000;
            assertThat(closed.reason()).isEqualTo(RecordingClosed.Reason.IDLE_TIMEOUT);
            assertThat(closed.message()).contains("no media");
            // Which close reasons ended it: the input broke with nginx (opened again, in vain), then the idle timeout.
            assertThat(closed.endings()).hasSizeGreaterThanOrEqualTo(2);
            assertThat(closed.endings().get(0).reopened()).isTrue();
            assertThat(closed.endings().get(0).reason()).isIn(RecordingClosed.Reason.END_OF_INPUT, RecordingClosed.Reason.FAILED);
            assertThat(closed.endings().get(closed.endings().size() - 1)).satisfies(e -> {
                assertThat(e.reason()).isEqualTo(RecordingClosed.Reason.IDLE_TIMEOUT);
                assertThat(e.reopened()).isFalse();
            });
            ReplayCheck.Result r = ReplayCheck.check(stack, stream.id(), 0);
            assertThat(r.replaySeconds()).as("what was published before the media server died").isGreaterThan(4.0);
            System.out.printf(Locale.ROOT, "[nginx killed under a publisher] closed by the idle timeout %d ms after the kill; replay %.1f s; endings %s%n",
                    closedMillis, r.replaySeconds(), closed.endings());
        }
    }

    private static RecordingClosed closeOf(LiveStream stream) {
        return (RecordingClosed) stream.slices.await(r -> r.value() != null && r.value().data() instanceof RecordingClosed c
                && c.recordingId().equals(stream.id()), Duration.ofSeconds(10)).value().data();
    }
}
