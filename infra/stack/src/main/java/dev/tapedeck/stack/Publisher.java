package dev.tapedeck.stack;

import dev.tapedeck.testkit.MediaTools;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** An FFmpeg process publishing the test pattern with a tone to an RTMP URL in real time. */
public final class Publisher implements AutoCloseable {
    private final Process process;
    private final Path log;

    private Publisher(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts publishing {@code seconds} of {@code width}x{@code height} at {@code fps} to {@code url}. */
    public static Publisher start(String url, int width, int height, int fps, double seconds, Path log) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(MediaTools.testSource(width, height, fps, seconds, true));
        cmd.addAll(List.of("-f", "flv", url));
        java.nio.file.Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new Publisher(p, log);
    }

    /** Starts publishing a media file as it is (no re-encoding) in real time to {@code url}. */
    public static Publisher file(String url, Path media, Path log) throws IOException {
        List<String> cmd = List.of("ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-i", media.toString(),
                "-c", "copy", "-f", "flv", url);
        java.nio.file.Files.createDirectories(log.getParent());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new Publisher(p, log);
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Waits for the end of the publish; returns FFmpeg's exit code. */
    public int await() throws InterruptedException {
        return process.waitFor();
    }

    /** FFmpeg's output. */
    public String output() {
        try {
            return java.nio.file.Files.readString(log);
        } catch (IOException e) {
            return "";
        }
    }

    /** SIGKILL, as a crashed encoder or a cut cable: no goodbye to the media server. Returns once it is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() {
        process.destroy();
    }
}
