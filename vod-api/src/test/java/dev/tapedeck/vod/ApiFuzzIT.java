package dev.tapedeck.vod;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.testkit.PostgresTestResource;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicWriter;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.URL;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * 10,000 random and hostile query strings, paths and bodies against every endpoint (seeded, four clients): never a 5xx,
 * never a stack trace in an answer. Deletions only ever name recordings that do not exist.
 */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class ApiFuzzIT {
    static final int REQUESTS = 10_000;
    static final int CLIENTS = 4;
    static final String[] HOSTILE = {"", " ", "../../etc/passwd", "..%2F..%2Fetc", "%00", "\u0000", "' or 1=1 --", "\"; drop table recording; --",
        "<script>alert(1)</script>", "${jndi:ldap://x/a}", "%s%s%s%n", "ü€𝄞", "\uFEFF", "\r\nX-Injected: 1", "*", "?", "#", "%",
        "9".repeat(40), "-1", "0", "1e309", "NaN", "null", "true", "[]", "{}", "x".repeat(5000), "READY", "LIVE,READY", "deleted",
        "live/demo", "a/b/c", "/", "//", "2026-13-45T99:99:99Z", "2026-12-01T00:00:00+99:00", "newest", "oldest",
        "0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10", "MS4x.abc", "a.b", "....", "tag_ok", "T".repeat(41)};
    static final String[] PARAMS = {"stream", "app", "status", "startedAfter", "startedBefore", "tag", "q", "order", "limit", "cursor",
        "unknown", ""};
    static final String[] BODIES = {"", "null", "[]", "{}", "{\"title\": null}", "{\"title\": 5}", "{\"tags\": [1, 2]}",
        "{\"tags\": \"x\"}", "{\"title\": \"" + "t".repeat(300) + "\"}", "{\"passthrough\": {\"a\": 1}}", "{\"title\": \"ok\"",
        "{\"title\": \"a\", \"title\": \"b\"}", "not json", "{\"tags\": [" + "\"a\",".repeat(50) + "\"a\"]}",
        "{\"a\":".repeat(200) + "1" + "}".repeat(200), "{\"title\": \"\\u0000\"}", "{\"title\": \"\\ud800\"}"};

    @TestHTTPResource("/")
    URL base;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    private static String pick(Random r, String[] from) {
        return from[r.nextInt(from.length)];
    }

    private static String randomText(Random r) {
        if (r.nextInt(3) == 0) {
            return pick(r, HOSTILE);
        }
        StringBuilder b = new StringBuilder();
        int n = r.nextInt(60);
        for (int i = 0; i < n; i++) {
            b.append((char) (r.nextBoolean() ? 32 + r.nextInt(95) : r.nextInt(0x3000)));
        }
        return b.toString();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** One random request to one of the endpoints; {@code existing} is a recording that may be read and edited, never deleted. */
    private HttpRequest request(Random r, String existing) {
        String root = base.toString().replaceAll("/$", "");
        StringBuilder query = new StringBuilder();
        for (int i = r.nextInt(5); i > 0; i--) {
            query.append(query.length() == 0 ? "?" : "&").append(enc(pick(r, PARAMS))).append('=').append(enc(randomText(r)));
        }
        String id = r.nextInt(4) == 0 ? existing : randomText(r);
        String path = switch (r.nextInt(8)) {
            case 0, 1 -> "/api/v1/recordings" + query;
            case 2 -> "/api/v1/recordings/" + enc(id) + query;
            case 3 -> "/api/v1/live" + query;
            case 4 -> "/api/v1/streams/" + enc(randomText(r)) + "/" + enc(randomText(r));
            case 5 -> "/vod/" + enc(id) + "/" + enc(randomText(r));
            case 6 -> "/vod/" + enc(id) + "/" + enc(randomText(r)) + "/" + enc(randomText(r));
            default -> "/api/v1/recordings/" + enc(id);
        };
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(root + path)).timeout(Duration.ofSeconds(30));
        int method = r.nextInt(6);
        if (method == 0 && path.startsWith("/api/v1/recordings/")) {
            String body = r.nextBoolean() ? pick(r, BODIES) : randomText(r);
            String type = r.nextInt(4) == 0 ? "text/plain" : "application/json";
            return b.header("Content-Type", type).method("PATCH", HttpRequest.BodyPublishers.ofString(body)).build();
        }
        if (method == 1 && path.startsWith("/api/v1/recordings/") && !path.contains(existing)) {
            return b.DELETE().build();
        }
        if (method == 2) {
            return b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(pick(r, BODIES))).build();
        }
        return b.GET().build();
    }

    @Test
    void noRequestGetsA5xxOrAStackTrace() throws Exception {
        Instant at = Instant.parse("2026-06-01T00:00:00Z");
        String existing = Ids.uuid7(Clock.fixed(at, java.time.ZoneOffset.UTC));
        CatalogEntry e = new CatalogEntry(existing, "__defaultVhost__/fuzz/x", "fuzz", "x", CatalogEntry.Status.READY, at, at.plusSeconds(60),
                60_000, "vod/" + existing + "/master.m3u8", List.of(), null, Instant.now(), null, null, null);
        TopicWriter.send(kafka, Topics.VODS, existing, CloudEvent.of("test", e, Clock.systemUTC()));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        await().atMost(Duration.ofSeconds(20)).until(() -> http.send(HttpRequest.newBuilder(URI.create(base + "api/v1/recordings/" + existing))
                .build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);

        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<List<String>>> results = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            long seed = 4242L + c;
            results.add(clients.submit(() -> {
                Random r = new Random(seed);
                List<String> bad = new ArrayList<>();
                for (int i = 0; i < REQUESTS / CLIENTS; i++) {
                    HttpRequest req = request(r, existing);
                    HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
                    String body = res.body() == null ? "" : res.body();
                    if (res.statusCode() >= 500 || body.contains("Exception") || body.contains("\tat ") || body.contains(".java:")) {
                        bad.add(req.method() + " " + req.uri() + " → " + res.statusCode() + " " + body.substring(0, Math.min(300, body.length())));
                    }
                }
                return bad;
            }));
        }
        List<String> bad = new ArrayList<>();
        for (Future<List<String>> f : results) {
            bad.addAll(f.get());
        }
        clients.shutdown();
        assertThat(bad).as("answers with a 5xx or a stack trace (seeds 4242…%d)", 4242 + CLIENTS - 1).isEmpty();
        // The recording that was read and edited all along is still there.
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "api/v1/recordings/" + existing)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }
}
