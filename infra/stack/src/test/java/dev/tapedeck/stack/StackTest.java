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
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Base of the end-to-end tests: a {@link Stack} on free ports, started by the subclass's {@code @BeforeAll}. A class
 * whose scenarios kill, stop or reconfigure parts of the stack starts one of its own ({@link #startStack}), stopped
 * after it. Classes that only publish streams join a stack shared by name ({@link #sharedStack}): started by the first
 * of them, stopped when the test JVM ends, each class isolated from the others by its own stream names (and so its
 * own recording ids).
 *
 * <p>Classes run two at a time (junit-platform.properties), so each keeps its stack and its files in fields of its own:
 * {@code static Stack stack} and {@code @TempDir static Path data}. A class whose scenarios keep much of the machine
 * busy (a ladder) or bound how long the pipeline takes says {@code @Execution(SAME_THREAD)}: such classes run one after
 * another on one thread, each beside at most one class that does neither.
 */
@ExtendWith(StackTest.OwnStacks.class)
abstract class StackTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    private static final Map<String, Stack> SHARED = new ConcurrentHashMap<>();
    /** One lock per shared stack's name: two classes joining one stack wait for its start, not for another's. */
    private static final Map<String, Object> STARTING = new ConcurrentHashMap<>();
    private static final Map<Class<?>, Stack> OWN = new ConcurrentHashMap<>();
    private static final StackWalker CALLER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    /**
     * What every test's stack starts from: 10 s slices, and a recorder pool without standbys (redundancy 1). Two cores
     * run two stacks side by side; a standby pulls every stream a second time, which only the classes about it
     * ({@link StandbyRecorderIT}, {@link PipelineIT}) pay for.
     */
    static Stack.Settings base(Path data) {
        return Stack.Settings.freePorts(home(), data, Duration.ofSeconds(10)).env("TAPEDECK_RECORDER_REDUNDANCY", "1");
    }

    /**
     * Starts a stack of the calling class's own with 10 s slices, settings adjusted by {@code adjust}, its files under
     * {@code data}; it is stopped once the class has run.
     */
    static Stack startStack(Path data, UnaryOperator<Stack.Settings> adjust) throws Exception {
        Class<?> owner = CALLER.getCallerClass();
        Stack stack = Stack.start(adjust.apply(base(data)), m -> progress(owner, m));
        Stack before = OWN.put(owner, stack);
        if (before != null) {
            before.close();
        }
        return stack;
    }

    /**
     * Joins the stack named {@code name}, starting it with {@code adjust} if no class has: every class that joins it
     * must pass the same settings (its name says them). Its files are under {@code target/stacks/{name}}.
     */
    static Stack sharedStack(String name, UnaryOperator<Stack.Settings> adjust) throws Exception {
        return sharedStack(name, adjust, (stack, dir) -> { }, CALLER.getCallerClass());
    }

    /** What is done to a shared stack once it has started, before any class has it. */
    interface Preparation {
        void prepare(Stack stack, Path dir) throws Exception;
    }

    private static Stack sharedStack(String name, UnaryOperator<Stack.Settings> adjust, Preparation preparation, Class<?> caller)
            throws Exception {
        synchronized (STARTING.computeIfAbsent(name, n -> new Object())) {
            return startOrJoin(name, adjust, preparation, caller);
        }
    }

    private static Stack startOrJoin(String name, UnaryOperator<Stack.Settings> adjust, Preparation preparation, Class<?> caller)
            throws Exception {
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
            s = Stack.start(adjust.apply(base(dir)), m -> progress(caller, m));
            Stack started = s;
            Runtime.getRuntime().addShutdownHook(new Thread(started::discard, "stop-stack-" + name));
            preparation.prepare(s, dir);
            SHARED.put(name, s);
        } else {
            progress(caller, "joining the shared stack " + name);
        }
        return s;
    }

    /** The shared stack that records without transcoding: 4 s slices, one recorder. */
    static final String RECORDING_ONLY = "recording-only";

    /** Joins {@link #RECORDING_ONLY}, started with the leftovers of {@link SharedStackLeftoversIT#leave} in it. */
    static Stack recordingOnlyStack() throws Exception {
        return sharedStack(RECORDING_ONLY, StackTest::recordingOnly, SharedStackLeftoversIT::leave, CALLER.getCallerClass());
    }

    static Stack.Settings recordingOnly(Stack.Settings s) {
        return s.transcode(false).sliceLength(Duration.ofSeconds(4)).recorders(1);
    }

    static Path home() {
        return Path.of(System.getProperty("tapedeck.home", "../..")).toAbsolutePath().normalize();
    }

    private static final java.time.format.DateTimeFormatter CLOCK = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss.SSS");

    /** A stack's progress, named by the class it is for (two classes run at once) and timed. */
    static void progress(Class<?> owner, String m) {
        System.out.println(java.time.LocalTime.now().format(CLOCK) + " [stack " + owner.getSimpleName() + "] " + m);
    }

    /** Discards the stack a class started with {@link #startStack} once the class has run ({@link Stack#discard}). */
    static final class OwnStacks implements AfterAllCallback {
        @Override
        public void afterAll(ExtensionContext context) {
            Stack own = OWN.remove(context.getRequiredTestClass());
            if (own != null) {
                long from = System.nanoTime();
                own.discard();
                progress(context.getRequiredTestClass(), String.format(java.util.Locale.ROOT, "stopped in %.1f s",
                        (System.nanoTime() - from) / 1e9));
            }
        }
    }

    /** The status a GET of {@code url} answers; 0 when nothing answers. */
    static int status(String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(java.time.Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** GETs {@code url}, expects 200 and returns the body. */
    static String get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url).isEqualTo(200);
        return r.body();
    }
}
