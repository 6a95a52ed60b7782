package dev.tapedeck.stack;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A child process of the stack (a service JVM or nginx) with its log file. Supervised, it is restarted when it
 * exits without being asked to, as Kubernetes restarts a container: after 1 s, doubling up to 30 s while it
 * keeps failing, back to 1 s once it ran for a minute. Every restart is logged.
 */
final class ServiceProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration STABLE = Duration.ofMinutes(1);

    final String name;
    final Path log;
    private final List<String> command;
    private final Map<String, String> env;
    /** The service's class-data archive ({@link ClassDataArchive}), or null for a process that is not a JVM. */
    private final ClassDataArchive archive;
    private final AtomicInteger restarts = new AtomicInteger();
    private volatile Process process;
    private volatile Instant startedAt;
    private volatile boolean stopping;
    /** Whether the current JVM records the service's class-data archive when it exits cleanly. */
    private volatile boolean recording;
    private volatile Instant restartNotBefore = Instant.EPOCH;

    private ServiceProcess(String name, List<String> command, Map<String, String> env, Path log, ClassDataArchive archive) {
        this.name = name;
        this.command = command;
        this.env = env;
        this.log = log;
        this.archive = archive;
    }

    static ServiceProcess start(String name, List<String> command, Map<String, String> env, Path log) throws IOException {
        return start(name, command, env, log, null);
    }

    private static ServiceProcess start(String name, List<String> command, Map<String, String> env, Path log, ClassDataArchive archive)
            throws IOException {
        Files.createDirectories(log.getParent());
        ServiceProcess p = new ServiceProcess(name, command, env, log, archive);
        p.launch();
        return p;
    }

    private void launch() throws IOException {
        List<String> cmd = command;
        ClassDataArchive.Use use = null;
        if (archive != null) {
            use = archive.use();
            cmd = new ArrayList<>(command);
            cmd.addAll(1, use.jvmOptions());
        }
        ProcessBuilder pb = new ProcessBuilder(dev.tapedeck.testkit.Sessions.own(cmd)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        Instant at = Instant.now();
        try {
            process = pb.start();
        } catch (IOException e) {
            if (use != null) {
                use.abandoned();
            }
            throw e;
        }
        if (use != null) {
            use.startedAs(process);
        }
        recording = use != null && use.records();
        // Published after the process: whoever sees the new start time (a test awaiting the restart) sees the new process.
        startedAt = at;
    }

    /** Starts a Quarkus service from its packaged {@code target/quarkus-app}. */
    static ServiceProcess quarkus(String name, Path home, String module, Map<String, String> env, Path logDir) throws IOException {
        Path jar = home.resolve(module).resolve("target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing: build first (./mvnw -DskipTests package)");
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Small heaps and fast startup: four services share a laptop with the media server.
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString()));
        Path log = logDir.resolve(name + ".log");
        Files.deleteIfExists(log);
        return start(name, cmd, env, log, ClassDataArchive.of(jar));
    }

    /** Restarts the process whenever it exits unasked; {@code progress} hears of each restart. */
    ServiceProcess supervise(Consumer<String> progress) {
        Thread t = new Thread(() -> {
            Duration backoff = FIRST_BACKOFF;
            while (!stopping) {
                Process p = process;
                int code;
                try {
                    code = p.waitFor();
                } catch (InterruptedException e) {
                    return;
                }
                if (stopping) {
                    return;
                }
                if (Duration.between(startedAt, Instant.now()).compareTo(STABLE) > 0) {
                    backoff = FIRST_BACKOFF;
                }
                int n = restarts.incrementAndGet();
                String note = name + " exited unexpectedly (exit " + code + "); restarting in " + backoff.toMillis() + " ms (restart " + n + ")";
                progress.accept(note);
                appendToLog("---- " + Instant.now() + " " + note + " ----");
                try {
                    Thread.sleep(Math.max(backoff.toMillis(), Duration.between(Instant.now(), restartNotBefore).toMillis()));
                    if (stopping) {
                        return;
                    }
                    launch();
                } catch (InterruptedException e) {
                    return;
                } catch (IOException e) {
                    progress.accept("cannot restart " + name + ": " + e.getMessage());
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }, "supervise-" + name);
        t.setDaemon(true);
        t.start();
        return this;
    }

    private void appendToLog(String line) {
        try {
            Files.writeString(log, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException ignored) {
            // the note also went to the console
        }
    }

    /** The current process (a new one after every restart). */
    Process process() {
        return process;
    }

    /** When the current process was started. */
    Instant startedAt() {
        return startedAt;
    }

    /** How many times the supervisor restarted it. */
    int restarts() {
        return restarts.get();
    }

    /** SIGKILL to it and its children (nginx's workers), as a container's crash would: the supervisor restarts it. */
    void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** SIGKILL, and no restart for {@code down}: a node that is gone for a while, not a container restarted at once. */
    void kill(Duration down) {
        restartNotBefore = Instant.now().plus(down);
        kill();
    }

    /**
     * For a stack nobody needs any more: SIGKILL to it and its children, no restart; a JVM recording its service's
     * class-data archive is left to {@link #close} (SIGTERM), so that the archive is written.
     */
    void discard() {
        stopping = true;
        if (!recording) {
            kill();
        }
    }

    /** SIGTERM, as a node drain would: the supervisor restarts it once it exited. */
    void terminate() {
        process.destroy();
    }

    /** Marks the process as asked to stop, so its exit is not restarted. */
    void stopping() {
        stopping = true;
    }

    /** Waits until {@code url} answers 200, failing early when the process dies. */
    void awaitHttp(String url, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log + "\n" + tail());
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(name + " not ready within " + timeout.toSeconds() + " s (" + last + "); see " + log);
    }

    /** The last lines of the log, for error messages. */
    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    /** SIGTERM, then SIGKILL after {@code grace}; no restart. */
    void stop(Duration grace) {
        stopping = true;
        Process p = process;
        if (!p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                System.err.println(name + " did not stop within " + grace.toMillis() + " ms: killed");
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(20));
    }
}
