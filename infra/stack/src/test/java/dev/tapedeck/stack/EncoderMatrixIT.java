package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tapedeck.testkit.MediaTools;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * What real encoders send, through the adaptive pipeline: each case a replay with its whole ladder. Shares
 * {@link AdaptivePipelineIT}'s stack (play_restart off); its cases run one at a time, each with its own stream.
 */
@Order(2)
@Execution(ExecutionMode.SAME_THREAD) // seven ladders, READY within 5 s of each unpublish
class EncoderMatrixIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        stack = sharedStack(AdaptivePipelineIT.PLAY_RESTART_OFF, AdaptivePipelineIT::playRestartOff);
        // One short stream through the whole pipeline first, unchecked: the first case would otherwise also wait for the
        // transcoder's consumer to be given its partitions and for the first worker JVM to load its classes from disk.
        // Unchecked: its publish may reach the transcoder before that consumer has its partitions, and end before a worker
        // could attach (a rung-less replay is the pipeline's answer to that, not a fault of this test's encoders).
        AdaptivePipelineIT.publish(stack, data, "enc-warm-up", 854, 480, "30", 4, MediaTools.Encoder.ZEROLATENCY);
    }

    /**
     * What encoders send, each published as a file in real time: x264's defaults (B-frames) at 25, 29.97, 30 and 60 fps,
     * High profile with a strict B-pyramid, OBS's x264 defaults (2 B-frames, 2 s GOP, CBR, AAC at 44.1 kHz) and
     * zerolatency (no B-frames). Each replay lists the source and its rung, with no gap, segment N at the same
     * presentation time (within a frame) in both, each decoding fully and lasting as long as the source (within a GOP).
     * Each case with its own stream, one at a time: a case encodes its file with x264 while the one before it would
     * start its worker, and a worker that takes longer than the attach wait to start (9 s was seen beside another
     * class's stack) gives its rung a gap this test would blame on the encoder.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0} at {1} fps")
    @org.junit.jupiter.params.provider.CsvSource({"X264_DEFAULTS,25", "X264_DEFAULTS,30000/1001", "X264_DEFAULTS,30",
            "X264_DEFAULTS,60", "HIGH_PYRAMID,30", "OBS,30", "ZEROLATENCY,30"})
    void whatEncodersSendBecomesAReplayWithItsWholeLadder(MediaTools.Encoder encoder, String fps) throws Exception {
        String stream = ("enc-" + encoder + "-" + fps).toLowerCase(java.util.Locale.ROOT).replace('/', '-').replace('_', '-');
        double seconds = 12;
        String id = AdaptivePipelineIT.publishAndAwaitReady(stack, data, stream, 854, 480, fps, seconds, encoder);
        String[] rate = fps.split("/");
        double frame = rate.length == 2 ? Double.parseDouble(rate[1]) / Double.parseDouble(rate[0]) : 1 / Double.parseDouble(fps);
        List<String> renditions = ReplayCheck.ladder(stack, id, frame);
        assertThat(renditions).as("854x480: the source and 360p").containsExactly("source", "360p");
        String master = get(stack.apiUrl() + "/vod/" + id + "/master.m3u8");
        double nominal = Math.round(1000 / frame) / 1000.0;
        assertThat(ReplayCheck.frameRates(master)).as("the source's rate in every variant: %s", master).containsExactly(nominal, nominal);
        double source = MediaTools.duration(data.resolve(stream + ".flv").toString());
        for (String rendition : renditions) {
            assertThat(MediaTools.duration(stack.apiUrl() + "/vod/" + id + "/" + rendition + "/index.m3u8"))
                    .as("%s lasts as long as the source", rendition).isCloseTo(source, within(encoder.keyframeSeconds()));
        }
    }
}
