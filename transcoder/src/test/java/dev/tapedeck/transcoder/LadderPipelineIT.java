package dev.tapedeck.transcoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapedeck.contract.Ladder;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.transcoder.worker.LadderPipeline;
import dev.tapedeck.transcoder.worker.WorkerException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class LadderPipelineIT {

    static List<String> keyframeTimes(Path file) {
        return MediaTools.probe(file.toString(), "-select_streams", "v", "-show_entries", "packet=pts_time,flags").stream()
                .filter(l -> l.contains("K")).map(l -> l.split(",")[0]).toList();
    }

    /** Runs the ladder on {@code source}, writing rung {@code r} to {@code dir/r.flv}. */
    static LadderPipeline.Result runInto(Path dir, Path source, Ladder ladder) {
        return new LadderPipeline(source.toString(), ladder, rung -> dir.resolve(rung + ".flv").toString(), 5_000_000)
                .run((f, m, w) -> { });
    }

    @Test
    void fullHdSourceGivesThreeRungsWithTheSourcesKeyframesAndAudio(@TempDir Path dir) {
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 1920, 1080, 30, 6);
        LadderPipeline.Result result = runInto(dir, source, Ladder.DEFAULT);

        assertThat(result.rungs()).containsExactly("720p", "480p", "360p");
        List<String> sourceKeys = keyframeTimes(source);
        assertThat(sourceKeys).hasSizeGreaterThanOrEqualTo(6);
        for (String rung : result.rungs()) {
            Path file = dir.resolve(rung + ".flv");
            assertThat(MediaTools.decodeErrors(file.toString())).as(rung).isEmpty();
            assertThat(MediaTools.probe(file.toString(), "-select_streams", "v", "-show_entries", "stream=width,height"))
                    .containsExactly(switch (rung) {
                        case "720p" -> "1280,720";
                        case "480p" -> "854,480";
                        default -> "640,360";
                    });
            assertThat(MediaTools.probe(file.toString(), "-show_entries", "stream=codec_name")).containsExactlyInAnyOrder("h264", "aac");
            assertThat(keyframeTimes(file)).as("%s keyframes at the source's keyframe times", rung).isEqualTo(sourceKeys);
            assertThat(MediaTools.duration(file.toString())).isCloseTo(MediaTools.duration(source.toString()),
                    org.assertj.core.api.Assertions.within(0.1));
        }
    }

    @Test
    void audioThatIsNotAacIsEncodedToAacForEveryRung(@TempDir Path dir) {
        Path source = dir.resolve("mp3.flv");
        MediaTools.Result made = MediaTools.run(120, "ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "4", "-c:v", "libx264", "-g", "30",
                "-pix_fmt", "yuv420p", "-c:a", "libmp3lame", "-ar", "44100", "-f", "flv", "-y", source.toString());
        assertThat(made.exit()).as(made.stderr()).isZero();
        assertThat(MediaTools.probe(source.toString(), "-select_streams", "a", "-show_entries", "stream=codec_name")).containsExactly("mp3");

        LadderPipeline.Result result = runInto(dir, source, Ladder.parse("360p:800k,240p:400k"));
        assertThat(result.rungs()).containsExactly("360p", "240p");
        for (String rung : result.rungs()) {
            Path file = dir.resolve(rung + ".flv");
            assertThat(MediaTools.probe(file.toString(), "-select_streams", "a", "-show_entries", "stream=codec_name,sample_rate"))
                    .as(rung).containsExactly("aac,44100");
            assertThat(MediaTools.decodeErrors(file.toString())).as(rung).isEmpty();
            List<String> audioPackets = MediaTools.probe(file.toString(), "-select_streams", "a", "-show_entries", "packet=pts_time");
            assertThat(audioPackets.size() * 1024 / 44100.0).as("%s carries the whole tone", rung).isCloseTo(4.0,
                    org.assertj.core.api.Assertions.within(0.2));
            assertThat(Double.parseDouble(audioPackets.get(0))).as("audio starts with the video").isLessThan(0.1);
        }
    }

    @Test
    void sdSourceIsNeverUpscaled(@TempDir Path dir) {
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 854, 480, 30, 2);
        LadderPipeline.Result result = runInto(dir, source, Ladder.DEFAULT);
        assertThat(result.rungs()).containsExactly("360p");
        assertThat(Files.exists(dir.resolve("480p.flv"))).isFalse();
    }

    @Test
    void aRungWhosePublishFailsMidStreamFailsTheWorkerAsTheDestinationsFault(@TempDir Path dir) {
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 854, 480, 30, 4);
        // /dev/full opens but refuses every write: the 360p rung fails on its own thread once its buffer flushes.
        assertThatThrownBy(() -> new LadderPipeline(source.toString(), Ladder.parse("360p:800k,240p:400k"),
                rung -> rung.equals("360p") ? "/dev/full" : dir.resolve(rung + ".flv").toString(), 5_000_000).run((f, m, w) -> { }))
                .isInstanceOfSatisfying(WorkerException.class, e -> {
                    assertThat(e.fault()).isEqualTo(WorkerException.Fault.DESTINATION);
                    assertThat(e.code()).isEqualTo("PUBLISH_FAILED");
                    assertThat(e.getMessage()).contains("360p");
                    assertThat(e.retryable()).isTrue();
                });
    }

    @Test
    @Timeout(120) // guards against the hang this test is about; the stall itself is 1 s
    void aMediaServerThatAcceptsARungButNeverAnswersFailsTheWorkerInsteadOfHangingIt(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 854, 480, 30, 2);
        try (ServerSocket mute = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try (Socket held = mute.accept()) {
                    Thread.sleep(60_000); // connected, never a byte of RTMP handshake
                } catch (Exception e) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String url = "rtmp://127.0.0.1:" + mute.getLocalPort() + "/live-abr/x_360p";
            assertThatThrownBy(() -> new LadderPipeline(source.toString(), Ladder.parse("360p:800k"), rung -> url, 1_000_000)
                    .run((f, m, w) -> { }))
                    .isInstanceOfSatisfying(WorkerException.class, e -> {
                        assertThat(e.fault()).isEqualTo(WorkerException.Fault.DESTINATION);
                        assertThat(e.code()).isEqualTo("PUBLISH_REFUSED");
                        assertThat(e.retryable()).isTrue();
                    });
            acceptor.interrupt();
        }
    }

    @Test
    void unreachableSourceIsTheSourcesFaultAndRetryable(@TempDir Path dir) {
        assertThatThrownBy(() -> new LadderPipeline(dir.resolve("missing.flv").toString(), Ladder.DEFAULT,
                rung -> dir.resolve(rung + ".flv").toString(), 1_000_000).run((f, m, w) -> { }))
                .isInstanceOfSatisfying(WorkerException.class, e -> {
                    assertThat(e.fault()).isEqualTo(WorkerException.Fault.SOURCE);
                    assertThat(e.code()).isEqualTo("SOURCE_UNREACHABLE");
                });
    }
}
