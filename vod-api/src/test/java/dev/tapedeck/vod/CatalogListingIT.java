package dev.tapedeck.vod;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.kafka.CloudEventSerializer;
import dev.tapedeck.testkit.PostgresTestResource;
import dev.tapedeck.testkit.TapedeckTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The catalog's index in a real PostgreSQL, fed by the real topic: paging, filters, bad parameters, edits, the
 * indexer's ordering rules and a database outage. Each test has its own app names, so they share one catalog.
 */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class CatalogListingIT {
    private static final Instant BASE = Instant.parse("2026-06-01T00:00:00Z");

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    private KafkaProducer<String, CloudEvent<?>> producer;

    private KafkaProducer<String, CloudEvent<?>> producer() {
        if (producer == null) {
            Properties p = new Properties();
            p.put("bootstrap.servers", kafka);
            p.put("linger.ms", "5");
            producer = new KafkaProducer<>(p, new StringSerializer(), new CloudEventSerializer());
        }
        return producer;
    }

    @AfterEach
    void closeProducer() {
        if (producer != null) {
            producer.close();
            producer = null;
        }
    }

    private static String id(Instant at) {
        return Ids.uuid7(Clock.fixed(at, ZoneOffset.UTC));
    }

    private static CatalogEntry entry(String id, String app, String stream, CatalogEntry.Status status, Instant startedAt, long version) {
        return new CatalogEntry(id, "__defaultVhost__/" + app + "/" + stream, app, stream, status, startedAt,
                status == CatalogEntry.Status.LIVE ? null : startedAt.plusSeconds(60), 60_000, "vod/" + id + "/master.m3u8",
                List.of(new CatalogEntry.Rendition("source", "vod/" + id + "/source/index.m3u8", 1280, 720, 30, 2_000_000, 1_800_000,
                        "avc1.64001f,mp4a.40.2", 10, 60_000)),
                status == CatalogEntry.Status.DEGRADED ? "slice 3 missing" : null, startedAt.plusSeconds(61),
                "vod/" + id + "/manifest.json", null, null, 12_345_678, status == CatalogEntry.Status.DEGRADED ? 1 : 0, 0, version);
    }

    private void send(List<CatalogEntry> entries) throws Exception {
        List<CompletableFuture<?>> sent = new ArrayList<>();
        for (CatalogEntry e : entries) {
            CompletableFuture<Object> f = new CompletableFuture<>();
            producer().send(new ProducerRecord<>(Topics.VODS, e.recordingId(), CloudEvent.of("test", e, Clock.systemUTC())),
                    (m, ex) -> {
                        if (ex != null) {
                            f.completeExceptionally(ex);
                        } else {
                            f.complete(m);
                        }
                    });
            sent.add(f);
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get();
    }

    private void tombstone(String id) throws Exception {
        producer().send(new ProducerRecord<>(Topics.VODS, id, null)).get();
    }

    /** Every page of a listing, following its cursors. */
    private static List<String> all(String query) {
        List<String> ids = new ArrayList<>();
        String cursor = null;
        do {
            // The query is written encoded already (e.g. q=second%20half).
            JsonPath page = given().urlEncodingEnabled(false)
                    .get("/api/v1/recordings?" + query + (cursor == null ? "" : "&cursor=" + cursor))
                    .then().statusCode(200).extract().jsonPath();
            ids.addAll(page.getList("items.id"));
            cursor = page.getString("nextCursor");
        } while (cursor != null);
        return ids;
    }

    private static void awaitListed(String query, int count) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(all(query)).hasSize(count));
    }

    @Test
    void pagingWhileNewRecordingsArriveSeesEveryOldOneExactlyOnceAndNewestFirstShowsTheNewOnes() throws Exception {
        List<CatalogEntry> old = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            Instant at = BASE.plusSeconds(i);
            old.add(entry(id(at), "paging", "s" + (i % 5), CatalogEntry.Status.READY, at, 1));
        }
        send(old);
        awaitListed("app=paging&limit=100", 250);

        List<String> expected = old.stream().map(CatalogEntry::recordingId).sorted(java.util.Comparator.reverseOrder()).toList();
        List<String> seen = new ArrayList<>();
        List<CatalogEntry> fresh = new ArrayList<>();
        String cursor = null;
        int page = 0;
        do {
            JsonPath p = given().get("/api/v1/recordings?app=paging&limit=25" + (cursor == null ? "" : "&cursor=" + cursor))
                    .then().statusCode(200).extract().jsonPath();
            seen.addAll(p.getList("items.id"));
            cursor = p.getString("nextCursor");
            if (page++ < 5) {
                // Ten new recordings between pages, and each waits for the index before the next page.
                List<CatalogEntry> batch = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    Instant at = Instant.now().plusMillis(page * 10L + i);
                    batch.add(entry(id(at), "paging", "new", CatalogEntry.Status.LIVE, at, 1));
                }
                send(batch);
                fresh.addAll(batch);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/recordings/"
                        + batch.get(batch.size() - 1).recordingId()).then().statusCode(200));
            }
        } while (cursor != null);
        assertThat(fresh).hasSize(50);
        assertThat(seen).as("every old recording exactly once, newest first, none of the new ones").isEqualTo(expected);

        List<String> firstPages = all("app=paging&limit=50").subList(0, 50);
        assertThat(firstPages).as("newest first: the new ones come first")
                .containsExactlyInAnyOrderElementsOf(fresh.stream().map(CatalogEntry::recordingId).toList());
        assertThat(all("app=paging&order=oldest&limit=100")).hasSize(300).startsWith(expected.get(expected.size() - 1));
    }

    @Test
    void eachFilterAloneAndCombinedListsWhatTheCatalogHolds() throws Exception {
        Map<String, CatalogEntry> byName = new LinkedHashMap<>();
        String[][] rows = {
            // name, app, stream, status, minutes after BASE
            {"a", "filt", "one", "READY", "0"}, {"b", "filt", "one", "LIVE", "10"}, {"c", "filt", "two", "FAILED", "20"},
            {"d", "filt", "two", "DEGRADED", "30"}, {"e", "filt2", "one", "READY", "40"}, {"f", "filt", "one", "READY", "50"},
        };
        for (String[] r : rows) {
            Instant at = BASE.plus(Duration.ofDays(30)).plusSeconds(60L * Integer.parseInt(r[4]));
            byName.put(r[0], entry(id(at), r[1], r[2], CatalogEntry.Status.valueOf(r[3]), at, 1));
        }
        send(List.copyOf(byName.values()));
        awaitListed("app=filt", 5);
        awaitListed("app=filt2", 1);
        patch(byName.get("a").recordingId(), "{\"title\": \"Cup final, second half\", \"tags\": [\"sport\", \"final\"]}");
        patch(byName.get("f").recordingId(), "{\"title\": \"Cupboard tour\", \"tags\": [\"home\"]}");
        patch(byName.get("c").recordingId(), "{\"tags\": [\"sport\"]}");

        Map<String, List<String>> cases = new LinkedHashMap<>();
        cases.put("app=filt", List.of("f", "d", "c", "b", "a"));
        cases.put("stream=filt/one", List.of("f", "b", "a"));
        cases.put("stream=filt2/one", List.of("e"));
        cases.put("app=filt&status=READY", List.of("f", "a"));
        cases.put("app=filt&status=READY&status=LIVE", List.of("f", "b", "a"));
        cases.put("app=filt&status=failed,degraded", List.of("d", "c"));
        String t10 = BASE.plus(Duration.ofDays(30)).plusSeconds(600).toString();
        String t30 = BASE.plus(Duration.ofDays(30)).plusSeconds(1800).toString();
        cases.put("app=filt&startedAfter=" + t10, List.of("f", "d", "c", "b"));
        cases.put("app=filt&startedBefore=" + t30, List.of("c", "b", "a"));
        cases.put("app=filt&startedAfter=" + t10 + "&startedBefore=" + t30, List.of("c", "b"));
        cases.put("app=filt&tag=sport", List.of("c", "a"));
        cases.put("app=filt&tag=sport&status=READY", List.of("a"));
        cases.put("app=filt&q=cup", List.of("f", "a"));
        cases.put("app=filt&q=final", List.of("a"));
        cases.put("app=filt&q=second%20half", List.of("a"));
        cases.put("stream=filt/one&order=oldest", List.of("a", "b", "f"));
        cases.put("stream=filt/one&order=oldest&limit=1", List.of("a", "b", "f"));
        cases.put("app=filt&status=LIVE&tag=home", List.of());
        for (Map.Entry<String, List<String>> c : cases.entrySet()) {
            List<String> want = c.getValue().stream().map(n -> byName.get(n).recordingId()).toList();
            assertThat(all(c.getKey())).as(c.getKey()).isEqualTo(want);
        }

        CatalogEntry a = byName.get("a");
        given().get("/api/v1/recordings/" + a.recordingId()).then().statusCode(200)
                .body("durationMillis", equalTo(60_000)).body("bytes", equalTo(12_345_678)).body("gaps", equalTo(0))
                .body("discontinuities", equalTo(0)).body("title", equalTo("Cup final, second half"))
                .body("tags", equalTo(List.of("sport", "final"))).body("renditions[0].name", equalTo("source"))
                .body("createdAt", org.hamcrest.Matchers.notNullValue()).body("updatedAt", org.hamcrest.Matchers.notNullValue());
        given().get("/api/v1/recordings/" + byName.get("d").recordingId()).then().body("message", equalTo("slice 3 missing"))
                .body("gaps", equalTo(1));
    }

    private static void patch(String id, String body) {
        given().contentType("application/json").body(body).patch("/api/v1/recordings/" + id).then().statusCode(200);
    }

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource(delimiter = '|', value = {
        "status=BOGUS | INVALID_STATUS",
        "status=DELETED | INVALID_STATUS",
        "status=READY,nope | INVALID_STATUS",
        "stream=nostream | INVALID_STREAM",
        "stream=a/b/c | INVALID_STREAM",
        "stream=../etc | INVALID_STREAM",
        "app=%3Cscript%3E | INVALID_APP",
        "app=other&stream=live/x | INVALID_APP",
        "startedAfter=yesterday | INVALID_STARTED_AFTER",
        "startedAfter=2026-13-01T00:00:00Z | INVALID_STARTED_AFTER",
        "startedBefore=2026-01-01 | INVALID_STARTED_BEFORE",
        "tag=Not%20A%20Tag | INVALID_TAG",
        "q= | INVALID_Q",
        "q=a%00b | INVALID_Q",
        "order=sideways | INVALID_ORDER",
        "limit=0 | INVALID_LIMIT",
        "limit=101 | INVALID_LIMIT",
        "limit=ten | INVALID_LIMIT",
        "limit=99999999999999999999 | INVALID_LIMIT",
        "cursor=garbage | INVALID_CURSOR",
        "cursor=a.b.c | INVALID_CURSOR",
    })
    void aBadParameterIsRefusedWithACodeThatNamesIt(String query, String code) {
        // The query is written encoded already (a%00b is a NUL between two letters).
        given().urlEncodingEnabled(false).get("/api/v1/recordings?" + query).then().statusCode(400).body("code", equalTo(code))
                .body(org.hamcrest.Matchers.not(containsString("Exception")));
    }

    @Test
    void aCursorFromAnotherQueryOrAlteredIsRefused() throws Exception {
        List<CatalogEntry> entries = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Instant at = BASE.plus(Duration.ofDays(60)).plusSeconds(i);
            entries.add(entry(id(at), "cursors", "x", CatalogEntry.Status.READY, at, 1));
        }
        send(entries);
        awaitListed("app=cursors", 3);
        String cursor = given().get("/api/v1/recordings?app=cursors&limit=1").then().statusCode(200).extract().path("nextCursor");
        assertThat(cursor).isNotNull();
        given().get("/api/v1/recordings?app=cursors&limit=1&cursor=" + cursor).then().statusCode(200);
        given().get("/api/v1/recordings?app=cursors&limit=2&cursor=" + cursor).then().statusCode(200)
                .body("items.size()", equalTo(2)).body("nextCursor", org.hamcrest.Matchers.nullValue());
        given().get("/api/v1/recordings?app=cursors&status=READY&limit=1&cursor=" + cursor).then().statusCode(400)
                .body("code", equalTo("INVALID_CURSOR"));
        given().get("/api/v1/recordings?app=cursors&order=oldest&limit=1&cursor=" + cursor).then().statusCode(400)
                .body("code", equalTo("INVALID_CURSOR"));
        char last = cursor.charAt(cursor.length() - 1);
        String altered = cursor.substring(0, cursor.length() - 1) + (last == 'A' ? 'B' : 'A');
        given().get("/api/v1/recordings?app=cursors&limit=1&cursor=" + altered).then().statusCode(400).body("code", equalTo("INVALID_CURSOR"));
    }

    @Test
    void theIndexerKeepsTheNewestEntryWhateverTheOrderAndATombstoneRemovesTheRow() throws Exception {
        Instant at = BASE.plus(Duration.ofDays(90));
        String id = id(at);
        CatalogEntry live = entry(id, "indexer", "x", CatalogEntry.Status.LIVE, at, 100);
        CatalogEntry ready = entry(id, "indexer", "x", CatalogEntry.Status.READY, at, 200);
        String other = id(at.plusSeconds(1));
        CatalogEntry second = entry(other, "indexer", "y", CatalogEntry.Status.READY, at.plusSeconds(1), 5);
        // The newer first, the older after it, then both again.
        send(List.of(ready, live, second, ready, live));
        awaitListed("app=indexer", 2);
        String last = "marker";
        CatalogEntry marker = entry(id(at.plusSeconds(2)), "indexer-marker", last, CatalogEntry.Status.READY, at.plusSeconds(2), 1);
        send(List.of(marker));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/recordings/" + marker.recordingId())
                .then().statusCode(200));
        given().get("/api/v1/recordings/" + id).then().statusCode(200).body("status", equalTo("READY"));

        patch(other, "{\"title\": \"kept\"}");
        tombstone(other);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/recordings/" + other).then().statusCode(404));
        assertThat(all("app=indexer")).containsExactly(id);
    }

    @Test
    void editsAreCheckedAndAnUnknownFieldIsNamed() throws Exception {
        Instant at = BASE.plus(Duration.ofDays(120));
        CatalogEntry e = entry(id(at), "edits", "x", CatalogEntry.Status.READY, at, 1);
        send(List.of(e));
        awaitListed("app=edits", 1);
        String url = "/api/v1/recordings/" + e.recordingId();
        Map<String, String> bad = new HashMap<>();
        bad.put("{\"title\": \"" + "x".repeat(201) + "\"}", "INVALID_TITLE");
        bad.put("{\"title\": 5}", "INVALID_TITLE");
        bad.put("{\"tags\": [\"UPPER\"]}", "INVALID_TAGS");
        bad.put("{\"tags\": \"sport\"}", "INVALID_TAGS");
        StringBuilder many = new StringBuilder("{\"tags\": [");
        for (int i = 0; i < 21; i++) {
            many.append(i == 0 ? "" : ",").append("\"t").append(i).append('"');
        }
        bad.put(many.append("]}").toString(), "INVALID_TAGS");
        bad.put("{\"passthrough\": \"" + "p".repeat(256) + "\"}", "INVALID_PASSTHROUGH");
        bad.put("{\"owner\": \"me\"}", "INVALID_FIELD");
        bad.put("[1, 2]", "INVALID_BODY");
        for (Map.Entry<String, String> b : bad.entrySet()) {
            given().contentType("application/json").body(b.getKey()).patch(url).then().statusCode(400)
                    .body("code", equalTo(b.getValue()));
        }
        given().contentType("application/json").body("{\"owner\": \"me\"}").patch(url).then().body("message", containsString("owner"));
        given().contentType("application/json").body("{\"title\": \"Launch\", \"passthrough\": \"order-77\", \"tags\": [\"a\", \"b\"]}")
                .patch(url).then().statusCode(200).body("title", equalTo("Launch")).body("passthrough", equalTo("order-77"));
        given().contentType("application/json").body("{\"tags\": null}").patch(url).then().statusCode(200)
                .body("tags", equalTo(List.of())).body("title", equalTo("Launch"));
        given().contentType("application/json").body("{\"title\": \"x\"}").patch("/api/v1/recordings/" + id(at.plusSeconds(9)))
                .then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        // A newer entry from the pipeline keeps the edits.
        send(List.of(entry(e.recordingId(), "edits", "x", CatalogEntry.Status.DEGRADED, at, 2)));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get(url).then().body("status", equalTo("DEGRADED"))
                .body("title", equalTo("Launch")));
    }

    @Test
    void whileTheDatabaseIsDownTheApiAnswers503AndAfterItTheIndexerCatchesUp() throws Exception {
        Instant at = BASE.plus(Duration.ofDays(150));
        CatalogEntry before = entry(id(at), "outage", "x", CatalogEntry.Status.READY, at, 1);
        send(List.of(before));
        awaitListed("app=outage", 1);

        PostgresTestResource.server().stop();
        try {
            List<CatalogEntry> during = new ArrayList<>();
            for (int i = 1; i <= 20; i++) {
                during.add(entry(id(at.plusSeconds(i)), "outage", "x", CatalogEntry.Status.READY, at.plusSeconds(i), 1));
            }
            send(during);
            given().get("/api/v1/recordings?app=outage").then().statusCode(503).body("code", equalTo("CATALOG_UNAVAILABLE"))
                    .header("Retry-After", equalTo("5")).body(org.hamcrest.Matchers.not(containsString("Exception")));
            given().get("/api/v1/recordings/" + before.recordingId()).then().statusCode(503).body("code", equalTo("CATALOG_UNAVAILABLE"));
            given().get("/q/health/ready").then().statusCode(503).body(containsString("DOWN"))
                    .body(containsString("Database connections health check"));
            given().get("/q/health/live").then().statusCode(200);
            // The outage lasts 30 s: the indexer keeps its entries waiting meanwhile.
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline) {
                given().get("/api/v1/recordings/" + before.recordingId()).then().statusCode(503);
                Thread.sleep(1_000);
            }
        } finally {
            PostgresTestResource.server().restart();
        }
        awaitListed("app=outage", 21);
        given().get("/q/health/ready").then().statusCode(200);
    }
}
