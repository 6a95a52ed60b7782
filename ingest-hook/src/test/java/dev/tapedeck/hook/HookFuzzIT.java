package dev.tapedeck.hook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * 10,000 random and malformed bodies per endpoint: random bytes, and callbacks of every media server whose
 * stream name is never valid, mutated (bytes flipped, inserted, deleted, cut). None may get a 5xx or
 * reach Kafka; each is refused (4xx, or for SRS and ZLMediaKit the HTTP 200 with a non-zero integer code
 * their contract prescribes) or, for an end of a stream that was never live, ignored.
 */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
class HookFuzzIT {
    static final int BODIES = 10_000;
    static final int CLIENTS = 4;
    /** Stream names that are never valid, so no mutation of the rest can make a callback acceptable. */
    static final String[] BAD_NAMES = {"..%2Fetc", "a%20b", "x%00y", "%E2%80%AEevil", "a".repeat(65), "-lead", "semi%3Bcolon"};
    static final String[] BAD_JSON_NAMES = {"../etc", "a b", "x\\u0000y", "\\u202eevil", "a".repeat(65), "-lead", "semi;colon"};

    @TestHTTPResource("/hooks/")
    URI hooks;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void randomAndMalformedCallbacksAreRefusedAndReachNothing() throws Exception {
        long before;
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            before = streams.readToEnd().size();
        }
        Map<String, Integer> answers = new ConcurrentHashMap<>();
        // Sent by a few clients at once, each with its own seeded share of the bodies (the same bodies on every run).
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<?>> sent = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                Random random = new Random(20261122 + c);
                sent.add(clients.submit(() -> {
                    fuzz(random, BODIES / CLIENTS, answers);
                    return null;
                }));
            }
            for (Future<?> f : sent) {
                f.get();
            }
        } finally {
            clients.shutdownNow();
        }
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            assertThat(streams.readToEnd()).as("no event from any of them").hasSize((int) before);
        }
        System.out.println("fuzzed answers: " + new TreeMap<>(answers));
    }

    /** {@code bodies} bodies per endpoint, each checked as it is answered. */
    void fuzz(Random random, int bodies, Map<String, Integer> answers) throws Exception {
        for (int i = 0; i < bodies; i++) {
            String name = BAD_NAMES[random.nextInt(BAD_NAMES.length)];
            String jsonName = BAD_JSON_NAMES[random.nextInt(BAD_JSON_NAMES.length)];
            String call = random.nextBoolean() ? "publish" : random.nextBoolean() ? "publish_done" : "play";
            byte[] form = body(random, "call=" + call + "&app=live&name=" + name + "&addr=203.0.113.7&clientid=" + random.nextInt(99)
                    + "&tcurl=rtmp%3A%2F%2Fh%2Flive&token=" + random.nextInt(), name);
            check(answers, "nginx-rtmp POST", send(HttpRequest.newBuilder(hooks.resolve("nginx-rtmp"))
                    .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofByteArray(form))));
            if (i % 4 == 0) {
                String query = URLEncoder.encode(new String(form, StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
                check(answers, "nginx-rtmp GET", send(HttpRequest.newBuilder(URI.create(hooks.resolve("nginx-rtmp") + "?"
                        + (random.nextBoolean() ? query : new String(form, StandardCharsets.US_ASCII).replaceAll("[^A-Za-z0-9=&%._-]", "")
                                // a URI cannot carry a broken escape: the client would refuse to send it
                                .replaceAll("%(?![0-9A-Fa-f]{2})", "%25")))).GET()));
            }
            String action = random.nextBoolean() ? "on_publish" : random.nextBoolean() ? "on_unpublish" : "on_play";
            check(answers, "srs", send(HttpRequest.newBuilder(hooks.resolve("srs")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body(random, """
                            {"action":"%s","client_id":"%d","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","stream":"%s",
                             "param":"?token=%d","tcUrl":"rtmp://127.0.0.1/live","server_id":"vid-0xk989d"}"""
                            .formatted(action, random.nextInt(99), jsonName, random.nextInt()), jsonName)))));
            String event = random.nextBoolean() ? "on_publish" : random.nextBoolean() ? "on_stream_changed" : "on_stream_none_reader";
            check(answers, "zlmediakit", send(HttpRequest.newBuilder(hooks.resolve("zlmediakit/" + event))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body(random, """
                            {"mediaServerId":"your_server_id","app":"live","id":"%d","ip":"10.0.17.132","params":"token=1",
                             "port":65284,"schema":"rtmp","stream":"%s","vhost":"__defaultVhost__","regist":false}"""
                            .formatted(random.nextInt(), jsonName), jsonName)))));
        }
    }

    /**
     * The template as it is (a third of the time), mutated, or replaced by random bytes. Mutations never touch
     * the invalid stream name {@code name}: cutting or editing it could make it valid.
     */
    static byte[] body(Random random, String template, String name) {
        int kind = random.nextInt(3);
        if (kind == 0) {
            return template.getBytes(StandardCharsets.UTF_8);
        }
        if (kind == 1) {
            byte[] noise = new byte[random.nextInt(2048)];
            random.nextBytes(noise);
            return noise;
        }
        StringBuilder b = new StringBuilder(template);
        for (int m = 1 + random.nextInt(6); m > 0 && b.length() > 0; m--) {
            int at = random.nextInt(b.length());
            int start = b.indexOf(name);
            if (start >= 0 && at >= start && at <= start + name.length()) {
                continue;
            }
            switch (random.nextInt(4)) {
                case 0 -> b.setCharAt(at, (char) random.nextInt(0x3000));
                case 1 -> b.insert(at, (char) random.nextInt(128));
                case 2 -> b.deleteCharAt(at);
                default -> b.setLength(at);
            }
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** 4xx; or 200 with a refusal (a non-zero code) or an ignored end/play (code 0 but nothing written). */
    static void check(Map<String, Integer> answers, String endpoint, HttpResponse<String> r) {
        assertThat(r.statusCode()).as("%s answered %s", endpoint, r.body()).isLessThan(500);
        answers.merge(endpoint + " " + r.statusCode(), 1, Integer::sum);
        if (r.statusCode() == 200) {
            assertThat(r.body()).as("%s allowed nothing", endpoint).doesNotContain("sessionId");
        }
    }
}
