package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.event.CatalogEntry;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The packager killed in the middle of a recording, on the real stack: its replay still comes out whole. */
class PackagerCrashIT extends StackTest {

    @BeforeAll
    static void start() throws Exception {
        startStack(s -> s.transcode(false).sliceLength(Duration.ofSeconds(4)).recorders(1));
    }

    @Test
    void aPackagerKilledMidStreamLosesNothingAndTheReplayComesOutWhole() throws Exception {
        try (LiveStream live = new LiveStream(stack, data, "pkgkill", 40)) {
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
            assertThat(r.replaySeconds()).as("complete, no gap").isGreaterThanOrEqualTo(40 - 1.0);
            System.out.printf(Locale.ROOT, "[kill -9 of the packager for 8 s] replay READY %d s after the kill, %.1f s of 40 s, no gap%n",
                    (System.nanoTime() - killed) / 1_000_000_000, r.replaySeconds());
        }
    }
}
