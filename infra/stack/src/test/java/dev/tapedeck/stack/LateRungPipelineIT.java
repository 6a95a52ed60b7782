package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tapedeck.testkit.MediaTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The source's publish is not held for the transcoder's worker (as with a media server that does not hold publishes):
 * the rungs begin when the worker has started and joined the source, seconds after the source. The packager places
 * them on the source's timeline.
 */
@Order(3)
@Execution(ExecutionMode.SAME_THREAD) // READY within 5 s of the unpublish (AdaptivePipelineIT.publishAndAwaitReady)
class LateRungPipelineIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        // Its own stack: its hook holds only the recorder's pull (attach roles), so that rungs join late.
        stack = startStack(data, s -> s.env("TAPEDECK_HOOK_ATTACH_ROLES", "recorder"));
    }

    @Test
    void rungsWhoseWorkerStartedAfterTheSourceHaveTheSourcesSegmentsAsGapsAndSegmentNStartsAtTheSameTimeEverywhere()
            throws Exception {
        String id = AdaptivePipelineIT.publishAndAwaitReady(stack, data, "late", 1280, 720, 30);
        List<String> variants = ReplayCheck.variants(get(stack.apiUrl() + "/vod/" + id + "/master.m3u8"));
        List<String> rungs = variants.stream().filter(v -> !v.equals("source")).toList();
        assertThat(rungs).as(variants.toString()).isNotEmpty();
        JsonNode manifest = new ObjectMapper().readTree(Files.readAllBytes(stack.bucketDir().resolve("vod").resolve(id)
                .resolve("manifest.json")));

        String sourcePlaylist = get(stack.apiUrl() + "/vod/" + id + "/source/index.m3u8");
        List<Double> sourceTimes = WorkerCrashIT.extinf(sourcePlaylist);
        List<Double> sourceStarts = ReplayCheck.segmentStarts(stack, id, "source");
        for (String rung : rungs) {
            JsonNode state = manifest.path("renditions").path(rung);
            assertThat(state.path("startsAfterSourceMillis").asLong()).as("%s began after the source (the worker was not waited for)", rung)
                    .isGreaterThan(50);
            String playlist = get(stack.apiUrl() + "/vod/" + id + "/" + rung + "/index.m3u8");
            assertThat(playlist).as(rung).contains("#EXT-X-GAP\n");
            List<Double> times = WorkerCrashIT.extinf(playlist);
            assertThat(times).as(playlist).hasSameSizeAs(sourceTimes);
            List<Double> starts = ReplayCheck.segmentStarts(stack, id, rung);
            double at = 0;
            double sourceAt = 0;
            for (int n = 0; n < sourceTimes.size(); n++) {
                assertThat(at).as("%s: cumulative time at segment %d", rung, n).isCloseTo(sourceAt, within(0.034));
                assertThat(starts.get(n)).as("%s: media time of segment %d", rung, n).isCloseTo(sourceStarts.get(n),
                        within(AdaptivePipelineIT.FRAME + 0.001));
                at += times.get(n);
                sourceAt += sourceTimes.get(n);
            }
            assertThat(MediaTools.decodeErrors(stack.apiUrl() + "/vod/" + id + "/" + rung + "/index.m3u8")).as(rung).isEmpty();
            System.out.printf("[late rung] %s began %d ms after the source; %d of %d segments are the source's as gaps%n", rung,
                    state.path("startsAfterSourceMillis").asLong(), state.path("gapSegments").size(), times.size());
        }
    }
}
