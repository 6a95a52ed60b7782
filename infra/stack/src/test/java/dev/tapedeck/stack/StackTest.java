package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the end-to-end tests: a {@link Stack} on free ports, started by the subclass's {@code @BeforeAll}. A class
 * whose scenarios kill, stop or reconfigure parts of the stack starts one of its own ({@link #startStack}), stopped
 * after it. Classes that only publish streams join a stack shared by name ({@link #sharedStack}): started by the first
 * of them, stopped when the test JVM ends, each class isolated from the others by its own stream names (and so its
 * own recording ids).
 */
abstract class StackTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    /** Kept when a test fails, so the services' logs under {@code logs/} can be read. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;
    static Stack stack;
    private static boolean shared;

    private static final Map<String, Stack> SHARED = new ConcurrentHashMap<>();

    /** Starts the stack with 10 s slices, settings adjusted by {@code adjust}. */
    static void startStack(UnaryOperator<Stack.Settings> adjust) throws Exception {
        stack = Stack.start(adjust.apply(Stack.Settings.freePorts(home(), data, Duration.ofSeconds(10))), StackTest::progress);
        shared = false;
    }

    /**
     * Joins the stack named {@code name}, starting it with {@code adjust} if no class has: every class that joins it
     * must pass the same settings (its name says them). Its files are under {@code target/stacks/{name}}.
     */
    static synchronized void sharedStack(String name, UnaryOperator<Stack.Settings> adjust) throws Exception {
        Stack s = SHARED.get(name);
        if (s == null) {
            Path dir = Path.of("target", "stacks", name).toAbsolutePath();
            if (Files.exists(dir)) {
                // A previous run's broker and bucket must not leak into this one: a file that cannot be deleted fails here.
                try (var files = Files.walk(dir)) {
                    for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(f);
                    }
                }
            }
            Files.createDirectories(dir);
            s = Stack.start(adjust.apply(Stack.Settings.freePorts(home(), dir, Duration.ofSeconds(10))), StackTest::progress);
            SHARED.put(name, s);
            Stack started = s;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "stop-stack-" + name));
        } else {
            progress("joining the shared stack " + name);
        }
        stack = s;
        shared = true;
    }

    /** The shared stack that records without transcoding: 4 s slices, one recorder. */
    static final String RECORDING_ONLY = "recording-only";

    static Stack.Settings recordingOnly(Stack.Settings s) {
        return s.transcode(false).sliceLength(Duration.ofSeconds(4)).recorders(1);
    }

    private static Path home() {
        return Path.of(System.getProperty("tapedeck.home", "../..")).toAbsolutePath().normalize();
    }

    private static void progress(String m) {
        System.out.println("[stack] " + m);
    }

    @AfterAll
    static void stopStack() {
        if (stack != null && !shared) {
            stack.close();
        }
        stack = null;
    }

    /** GETs {@code url}, expects 200 and returns the body. */
    static String get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url).isEqualTo(200);
        return r.body();
    }
}
