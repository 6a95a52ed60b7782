package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the end-to-end tests: one {@link Stack} per test class on free ports and a temporary data
 * directory, started by the subclass's {@code @BeforeAll} through {@link #startStack} and stopped here.
 */
abstract class StackTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    /** Kept when a test fails, so the services' logs under {@code logs/} can be read. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;
    static Stack stack;

    /** Starts the stack with 10 s slices, settings adjusted by {@code adjust}. */
    static void startStack(UnaryOperator<Stack.Settings> adjust) throws Exception {
        Path home = Path.of(System.getProperty("tapedeck.home", "../..")).toAbsolutePath().normalize();
        stack = Stack.start(adjust.apply(Stack.Settings.freePorts(home, data, Duration.ofSeconds(10))),
                m -> System.out.println("[stack] " + m));
    }

    @AfterAll
    static void stopStack() {
        if (stack != null) {
            stack.close();
            stack = null;
        }
    }

    /** GETs {@code url}, expects 200 and returns the body. */
    static String get(String url) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url).isEqualTo(200);
        return r.body();
    }
}
