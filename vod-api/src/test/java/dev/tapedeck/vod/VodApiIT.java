package dev.tapedeck.vod;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.kafka.CloudEventSerializer;
import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.testkit.PostgresTestResource;
import dev.tapedeck.testkit.TapedeckTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class VodApiIT {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @Inject
    ObjectStore store;

    void send(String key, CloudEvent<?> value) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka);
        try (var producer = new KafkaProducer<String, CloudEvent<?>>(p, new StringSerializer(), new CloudEventSerializer())) {
            producer.send(new ProducerRecord<>(Topics.VODS, key, value)).get();
        }
    }

    @Test
    void catalogEntriesAreListedServedAndRemovedOnTombstone() throws Exception {
        String older = Ids.uuid7(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), java.time.ZoneOffset.UTC));
        String newer = Ids.uuid7();
        for (String id : List.of(older, newer)) {
            send(id, CloudEvent.of("test", new CatalogEntry(id, "__defaultVhost__/vodapi/t", "vodapi", "t", CatalogEntry.Status.READY,
                    Instant.now(), Instant.now(), 12_345, "vod/" + id + "/master.m3u8",
                    List.of(new CatalogEntry.Rendition("source", "vod/" + id + "/source/index.m3u8", 1280, 720, 30, 2_000_000,
                            1_800_000, "avc1.64001f,mp4a.40.2", 2, 12_345)), null, Instant.now(), "vod/" + id + "/manifest.json",
                    id.equals(newer) ? "vod/" + id + "/poster.jpg" : null, id.equals(newer) ? "vod/" + id + "/thumbnails.vtt" : null),
                    Clock.systemUTC()));
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/api/v1/recordings/" + newer)
                .then().statusCode(200).body("status", equalTo("READY")).body("durationSeconds", equalTo(12.345f))
                .body("playbackUrl", equalTo("/vod/" + newer + "/master.m3u8"))
                .body("manifestUrl", equalTo("/vod/" + newer + "/manifest.json"))
                .body("posterUrl", equalTo("/vod/" + newer + "/poster.jpg"))
                .body("thumbnailsUrl", equalTo("/vod/" + newer + "/thumbnails.vtt")));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/api/v1/recordings/" + older)
                .then().statusCode(200).body("posterUrl", org.hamcrest.Matchers.nullValue()));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/api/v1/recordings?app=vodapi")
                .then().body("items.id[0]", equalTo(newer)).body("items.id", org.hamcrest.Matchers.hasItem(older)));

        store.putBytes("vod/" + newer + "/master.m3u8", "#EXTM3U\n".getBytes(StandardCharsets.UTF_8), "application/vnd.apple.mpegurl");
        given().get("/vod/" + newer + "/master.m3u8").then().statusCode(200)
                .contentType(containsString("mpegurl")).body(equalTo("#EXTM3U\n"));
        given().get("/vod/" + newer + "/source/000000.ts").then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        // Pictures: a sprite sheet under sprites/, the track never cached (it is rewritten if the replay reopens).
        store.putBytes("vod/" + newer + "/sprites/000000.jpg", new byte[] {(byte) 0xff, (byte) 0xd8}, "image/jpeg");
        given().get("/vod/" + newer + "/sprites/000000.jpg").then().statusCode(200).contentType(equalTo("image/jpeg"))
                .header("Cache-Control", containsString("immutable"));
        store.putBytes("vod/" + newer + "/thumbnails.vtt", "WEBVTT\n".getBytes(StandardCharsets.UTF_8), "text/vtt");
        given().get("/vod/" + newer + "/thumbnails.vtt").then().statusCode(200).contentType(containsString("text/vtt"))
                .header("Cache-Control", equalTo("no-cache"));
        // The manifest changes while the recording is live: never cached.
        store.putBytes("vod/" + newer + "/manifest.json", "{}".getBytes(StandardCharsets.UTF_8), "application/json");
        given().get("/vod/" + newer + "/manifest.json").then().statusCode(200).header("Cache-Control", equalTo("no-cache"));

        send(older, null);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/api/v1/recordings/" + older).then().statusCode(404));
    }

    @Test
    void hostileIdsAndPathsAreRefused() {
        given().get("/api/v1/recordings/..%2F..%2Fetc").then().statusCode(org.hamcrest.Matchers.anyOf(equalTo(400), equalTo(404)));
        given().get("/api/v1/recordings/bad$id").then().statusCode(400).body("code", equalTo("INVALID_ID"));
        given().get("/vod/abc/..%2Fmaster.m3u8").then().statusCode(org.hamcrest.Matchers.anyOf(equalTo(400), equalTo(404)));
        given().get("/vod/abc/passwd").then().statusCode(400).body("code", equalTo("INVALID_PATH"));
    }

    @Test
    void playerPageAndHlsJsAreServedByTheApplication() {
        given().get("/").then().statusCode(200).body(containsString("hls.min.js"));
        given().get("/webjars/hls.js/1.4.12/dist/hls.min.js").then().statusCode(200);
        given().get("/app.js").then().statusCode(200);
    }
}
