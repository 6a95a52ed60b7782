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
     * The FFmpeg arguments of the demo test source: test pattern and a tone, H.264 + AAC, keyframe every
     * second, in real time when {@code realtime}.
     */
    public static List<String> testSource(int width, int height, int fps, double seconds, boolean realtime) {
        List<String> a = new ArrayList<>(List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"));
        if (realtime) {
            a.add("-re");
        }
        a.addAll(List.of(
                "-f", "lavfi", "-i", "testsrc2=size=" + width + "x" + height + ":rate=" + fps,
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                "-t", String.valueOf(seconds),
                "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
                "-g", String.valueOf(fps), "-keyint_min", String.valueOf(fps), "-sc_threshold", "0",
                "-b:v", "2500k",
                "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"));
        return a;
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
