package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.event.CatalogEntry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** The packager killed in the middle of a recording, on the real stack: its replay still comes out whole. */
class PackagerCrashIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        // The packager halts (exit 134, as a crash in native code) whenever it starts on slice 1 of live/poison's source.
        // Its own stack: it kills the packager.
        stack = startStack(data, s -> s.transcode(false).sliceLength(Duration.ofSeconds(4)).recorders(1)
                .env("TAPEDECK_PACKAGER_HALT_ON_SLICE", "/live/poison/[^/]+/source/000001\\.flv$"));
    }

    /** Killed after its first slice (about 6 s in) for 8 s: the stream goes on for slices after its restart. */
    static final int KILLED_SECONDS = 24;

    @Test
    void aPackagerKilledMidStreamLosesNothingAndTheReplayComesOutWhole() throws Exception {
        try (LiveStream live = new LiveStream(stack, data, "pkgkill", KILLED_SECONDS)) {
            String id = live.id();
            live.vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                    && !c.renditions().isEmpty(), Duration.ofSeconds(60));
            int restartsBefore = stack.packager().restarts();
            // SIGKILL, and back after 8 s: slices announced meanwhile wait in the broker, in-flight work is redone.
            stack.packager().kill(Duration.ofSeconds(8));
            long killed = System.nanoTime();
            live.awaitPublisher();
            ReplayCheck.Result r = ReplayCheck.check(stack, id, 0);
            assertThat(stack.packager().restarts()).as("the packager was restarted").isGreaterThan(restartsBefore);
            assertThat(r.replaySeconds()).as("complete, no gap").isGreaterThanOrEqualTo(KILLED_SECONDS - 1.0);
            System.out.printf(Locale.ROOT, "[kill -9 of the packager for 8 s] replay READY %d s after the kill, %.1f s of %d s, no gap%n",
                    (System.nanoTime() - killed) / 1_000_000_000, r.replaySeconds(), KILLED_SECONDS);
        }
    }

    @Test
    void aSliceThatKillsThePackagerTwiceBecomesAGapAndEveryOtherRecordingBecomesReady() throws Exception {
        int restartsBefore = stack.packager().restarts();
        try (LiveStream poison = new LiveStream(stack, data, "poison", 16); LiveStream bystander = new LiveStream(stack, data, "bystander", 16)) {
            poison.awaitPublisher();
            bystander.awaitPublisher();
            CatalogEntry degraded = (CatalogEntry) poison.vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(poison.id()) && c.status() != CatalogEntry.Status.LIVE, Duration.ofSeconds(180)).value().data();
            assertThat(degraded.status()).as(degraded.message()).isEqualTo(CatalogEntry.Status.DEGRADED);
            assertThat(degraded.message()).contains("slice 1").contains("stopped the packager 2 times");
            assertThat(stack.packager().restarts() - restartsBefore).as("it died twice on the slice, then left it out").isEqualTo(2);
            CatalogEntry ready = (CatalogEntry) bystander.vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(bystander.id()) && c.status() != CatalogEntry.Status.LIVE, Duration.ofSeconds(120)).value().data();
            assertThat(ready.status()).as("a recording packaged meanwhile").isEqualTo(CatalogEntry.Status.READY);
            String playlist = get(stack.apiUrl() + "/vod/" + poison.id() + "/source/index.m3u8");
            assertThat(playlist).contains("#EXT-X-DISCONTINUITY").endsWith("#EXT-X-ENDLIST\n");
            assertThat(dev.tapedeck.testkit.MediaTools.decodeErrors(stack.apiUrl() + "/vod/" + poison.id() + "/source/index.m3u8"))
                    .as("the rest of the replay plays").isEmpty();
            System.out.printf(Locale.ROOT, "[a slice that kills the packager] %d restarts, replay %s: %s%n",
                    stack.packager().restarts() - restartsBefore, degraded.status(), degraded.message());
        }
    }
}
