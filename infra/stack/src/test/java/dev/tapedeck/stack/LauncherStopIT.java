package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * {@code tapedeck up} stops cleanly: Ctrl-C in a terminal (SIGINT to the whole foreground process group: the launcher
 * and, before, every child with it) and SIGTERM to the launcher both stop every process of the stack within 10 s, and
 * no child is restarted on the way out. The launcher runs in a session of its own here, as it would in a terminal.
 */
@Order(7)
@Execution(ExecutionMode.SAME_THREAD) // it bounds the stop (10 s)
class LauncherStopIT {
    private static final Duration BOUND = Duration.ofSeconds(10);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path data;

    @Test
    void ctrlCToTheWholeProcessGroupStopsEverythingWithoutARestart() throws Exception {
        stops("INT", true);
    }

    @Test
    void sigtermToTheLauncherStopsEverythingWithoutARestart() throws Exception {
        stops("TERM", false);
    }

    private void stops(String signal, boolean group) throws Exception {
        // As a terminal starts it: a session (and process group) of its own, SIGINT at its default action (a build or CI
        // run in the background may have started this JVM with SIGINT ignored, which its children would inherit).
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of("/usr/bin/setsid", "env", "--default-signal=INT", javaBin,
                "-Dtapedeck.home=" + StackTest.home(), "-Dtapedeck.data=" + data, "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Launcher.class.getName(), "up", "--free-ports",
                "--recorders", "1");
        Process launcher = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> output = new CopyOnWriteArrayList<>();
        CountDownLatch running = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(launcher.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null;) {
                    output.add(line);
                    if (line.startsWith("Tapedeck is running")) {
                        running.countDown();
                    }
                }
            } catch (java.io.IOException e) {
                // the launcher is gone
            }
        }, "launcher-output");
        reader.start();
        List<ProcessHandle> stack = new ArrayList<>();
        try {
            assertThat(running.await(180, TimeUnit.SECONDS)).as("the stack started: %s", output).isTrue();
            stack.add(launcher.toHandle());
            stack.addAll(launcher.toHandle().descendants().toList());
            List<String> names = stack.stream().map(h -> h.info().command().map(c -> Path.of(c).getFileName().toString()).orElse("?"))
                    .toList();
            assertThat(names).as("the launcher, nginx, PostgreSQL and the services").contains("nginx", "postgres").filteredOn("java"::equals)
                    .hasSizeGreaterThanOrEqualTo(6);

            long began = System.nanoTime();
            String target = group ? "-" + launcher.pid() : String.valueOf(launcher.pid());
            assertThat(new ProcessBuilder("kill", "-" + signal, "--", target).inheritIO().start().waitFor()).isZero();
            // Each process's exit, as it happens; then the time the last of them took.
            java.util.Map<String, Long> gone = new java.util.concurrent.ConcurrentHashMap<>();
            java.util.concurrent.CompletableFuture<?>[] exits = new java.util.concurrent.CompletableFuture<?>[stack.size()];
            for (int i = 0; i < stack.size(); i++) {
                String name = names.get(i) + " " + stack.get(i).pid();
                exits[i] = stack.get(i).onExit().thenRun(() -> gone.put(name, (System.nanoTime() - began) / 1_000_000));
            }
            try {
                java.util.concurrent.CompletableFuture.allOf(exits).get(BOUND.toSeconds() + 20, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                // the assertions below name what is left
            }
            Duration took = Duration.ofMillis(gone.values().stream().mapToLong(Long::longValue).max().orElse(Long.MAX_VALUE / 2));
            reader.join(5000);
            System.out.printf("[SIG%s to the %s] every process of the stack (%d) gone %d ms after the signal; the last: %s%n", signal,
                    group ? "process group" : "launcher", stack.size(), took.toMillis(), gone.entrySet().stream()
                            .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()).limit(4).toList());
            assertThat(stack.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid)).as("processes left").isEmpty();
            assertThat(took).as("the stack stopped within %s", BOUND).isLessThan(BOUND);
            assertThat(output).as("no child restarted on the way out").noneMatch(l -> l.contains("restarting"))
                    .anyMatch(l -> l.contains("stopping Tapedeck"));
        } finally {
            stack.forEach(ProcessHandle::destroyForcibly);
            launcher.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
        }
    }
}
