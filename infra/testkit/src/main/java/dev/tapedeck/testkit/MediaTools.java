package dev.tapedeck.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The FFmpeg and ffprobe command-line tools, for making fixtures and checking results in tests. */
public final class MediaTools {
    private MediaTools() {
    }

    /** Result of a finished command. */
    public record Result(int exit, String stdout, String stderr) {
    }

    /** Runs a command to completion (at most {@code timeoutSeconds}). */
    public static Result run(long timeoutSeconds, String... command) {
        try {
            Path out = java.nio.file.Files.createTempFile("cmd", ".out");
            Path err = java.nio.file.Files.createTempFile("cmd", ".err");
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out after " + timeoutSeconds + " s: " + String.join(" ", command));
            }
            Result r = new Result(p.exitValue(), java.nio.file.Files.readString(out, StandardCharsets.UTF_8),
                    java.nio.file.Files.readString(err, StandardCharsets.UTF_8));
            java.nio.file.Files.deleteIfExists(out);
            java.nio.file.Files.deleteIfExists(err);
            return r;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command[0] + ": is it installed?", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * How a test source is encoded. Publishers in the field use B-frames (x264's, FFmpeg's and OBS's default), so
     * that is the default here; {@link #ZEROLATENCY} (no B-frames, no lookahead) is one case among others.
     */
    public enum Encoder {
        /** x264 at preset veryfast with nothing else set: 3 B-frames, B-pyramid, adaptive B-frame decision. */
        X264_DEFAULTS("-preset", "veryfast"),
        /** x264 veryfast with {@code -tune zerolatency}: no B-frames, DTS equals PTS. */
        ZEROLATENCY("-preset", "veryfast", "-tune", "zerolatency"),
        /** High profile at preset medium with 3 B-frames as a strict B-pyramid (B-frames used as references). */
        HIGH_PYRAMID("-preset", "medium", "-profile:v", "high", "-bf", "3", "-x264-params", "b-pyramid=strict"),
        /** As OBS's x264 defaults: veryfast, 2 B-frames, 2 s keyframe interval, CBR 2500 kb/s, AAC at 44.1 kHz. */
        OBS("-preset", "veryfast", "-profile:v", "high", "-bf", "2", "-x264-params", "nal-hrd=cbr", "-minrate", "2500k",
                "-maxrate", "2500k", "-bufsize", "2500k");

        final List<String> args;

        Encoder(String... args) {
            this.args = List.of(args);
        }

        /** Seconds between keyframes. */
        public double keyframeSeconds() {
            return this == OBS ? 2 : 1;
        }

        /** Audio sample rate. */
        public int sampleRate() {
            return this == OBS ? 44_100 : 48_000;
        }
    }

    /**
     * The FFmpeg arguments of the demo test source: test pattern and a tone, H.264 (x264's defaults, with B-frames) +
     * AAC, keyframe every second, in real time when {@code realtime}.
     */
    public static List<String> testSource(int width, int height, int fps, double seconds, boolean realtime) {
        return testSource(width, height, String.valueOf(fps), seconds, realtime, Encoder.X264_DEFAULTS);
    }

    /**
     * As {@link #testSource(int, int, int, double, boolean)} at frame rate {@code fps} (FFmpeg's notation:
     * {@code 30}, {@code 30000/1001}), encoded as {@code encoder} says. An odd width or height is encoded in 4:4:4
     * (High 4:4:4 profile), the one way H.264 carries it.
     */
    public static List<String> testSource(int width, int height, String fps, double seconds, boolean realtime, Encoder encoder) {
        List<String> a = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"));
        if (realtime) {
            a.add("-re");
        }
        String[] rate = fps.split("/");
        double framesPerSecond = rate.length == 2 ? Double.parseDouble(rate[0]) / Double.parseDouble(rate[1]) : Double.parseDouble(fps);
        String gop = String.valueOf(Math.round(framesPerSecond * encoder.keyframeSeconds()));
        // An odd width or height is legal H.264 only without chroma subsampling: 4:4:4 (High 4:4:4), cropped from the
        // pattern one pixel larger (the pattern itself comes in even sizes).
        boolean odd = width % 2 != 0 || height % 2 != 0;
        a.addAll(List.of(
                "-f", "lavfi", "-i", "testsrc2=size=" + (width + width % 2) + "x" + (height + height % 2) + ":rate=" + fps,
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=" + encoder.sampleRate(),
                "-t", String.valueOf(seconds)));
        if (odd) {
            a.addAll(List.of("-vf", "format=yuv444p,crop=" + width + ":" + height + ":0:0"));
        }
        a.addAll(List.of("-c:v", "libx264"));
        a.addAll(encoder.args);
        if (odd) {
            a.addAll(List.of("-profile:v", "high444"));
        }
        a.addAll(List.of("-pix_fmt", odd ? "yuv444p" : "yuv420p", "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
                "-b:v", "2500k",
                "-c:a", "aac", "-b:a", "128k", "-ar", String.valueOf(encoder.sampleRate()), "-ac", "2"));
        return a;
    }

    /**
     * Picture sizes that real publishers send, odd ones among them, as {@code width, height} pairs: the sizes every
     * media module's native path is tested over ({@code @MethodSource("dev.tapedeck.testkit.MediaTools#pictureSizes")}).
     */
    public static java.util.stream.Stream<int[]> pictureSizes() {
        return java.util.stream.Stream.of(new int[] {1002, 564}, new int[] {854, 480}, new int[] {852, 480}, new int[] {638, 360},
                new int[] {321, 241}, new int[] {1366, 768}, new int[] {1920, 1080});
    }

    /** Writes a test-source FLV file (not real time) at {@code fps} (FFmpeg's notation), encoded as {@code encoder} says. */
    public static void makeFlv(Path file, int width, int height, String fps, double seconds, Encoder encoder) {
        List<String> a = testSource(width, height, fps, seconds, false, encoder);
        a.addAll(List.of("-f", "flv", "-y", file.toString()));
        Result r = run(300, a.toArray(String[]::new));
        if (r.exit() != 0) {
            throw new IllegalStateException("ffmpeg failed: " + r.stderr());
        }
    }

    /**
     * Writes a rung of {@code source} as the transcoder makes one: scaled to {@code width}x{@code height}, without
     * B-frames, a keyframe where the source has one, every timestamp kept (so its keyframes' PTS are the source's, and
     * with a source that has B-frames its DTS are later than the source's), audio copied.
     */
    public static void makeRung(Path source, Path rung, int width, int height) {
        Result r = run(300, "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-copyts", "-i", source.toString(),
                "-vf", "scale=" + width + ":" + height, "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
                "-pix_fmt", "yuv420p", "-force_key_frames", "source", "-b:v", "600k", "-c:a", "copy", "-f", "flv", "-y",
                rung.toString());
        if (r.exit() != 0) {
            throw new IllegalStateException("ffmpeg failed: " + r.stderr());
        }
    }

    /** Writes a test-source FLV file (not real time). */
    public static void makeFlv(Path file, int width, int height, int fps, double seconds) {
        List<String> a = testSource(width, height, fps, seconds, false);
        a.addAll(List.of("-f", "flv", "-y", file.toString()));
        Result r = run(300, a.toArray(String[]::new));
        if (r.exit() != 0) {
            throw new IllegalStateException("ffmpeg failed: " + r.stderr());
        }
    }

    /** A test-source FLV file with video only ({@code audio=false}) or audio only ({@code video=false}). */
    public static void makeFlv(Path file, int width, int height, int fps, double seconds, boolean video, boolean audio) {
        List<String> a = testSource(width, height, fps, seconds, false);
        if (!video) {
            a.add("-vn");
        }
        if (!audio) {
            a.add("-an");
        }
        a.addAll(List.of("-f", "flv", "-y", file.toString()));
        Result r = run(300, a.toArray(String[]::new));
        if (r.exit() != 0) {
            throw new IllegalStateException("ffmpeg failed: " + r.stderr());
        }
    }

    /** The container duration ffprobe reports, in seconds. */
    public static double duration(String input) {
        Result r = run(60, "ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", input);
        if (r.exit() != 0) {
            throw new IllegalStateException("ffprobe failed on " + input + ": " + r.stderr());
        }
        return Double.parseDouble(r.stdout().strip());
    }

    /** Decodes every frame; returns FFmpeg's error output (empty when the media decoded cleanly). */
    public static String decodeErrors(String input) {
        Result r = run(600, "ffmpeg", "-hide_banner", "-v", "error", "-nostdin", "-i", input, "-f", "null", "-");
        return r.exit() == 0 ? r.stderr().strip() : ("exit " + r.exit() + ": " + r.stderr().strip());
    }

    /** ffprobe's output for {@code -show_entries} in CSV form, one line per stream/packet/frame. */
    public static List<String> probe(String input, String... args) {
        List<String> a = new ArrayList<>(List.of("ffprobe", "-v", "error"));
        a.addAll(List.of(args));
        a.addAll(List.of("-of", "csv=p=0", input));
        Result r = run(120, a.toArray(String[]::new));
        if (r.exit() != 0) {
            throw new IllegalStateException("ffprobe failed on " + input + ": " + r.stderr());
        }
        return r.stdout().lines().filter(l -> !l.isBlank()).toList();
    }
}
