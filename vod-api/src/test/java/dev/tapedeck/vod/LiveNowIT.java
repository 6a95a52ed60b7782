package dev.tapedeck.vod;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.testkit.PostgresTestResource;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicWriter;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** {@code /api/v1/live} and {@code /api/v1/streams/{app}/{stream}} from the live registry on the real topic. */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class LiveNowIT {
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    private StreamPublished published(String app, String stream, String recordingId, String rendition) {
        boolean rung = !rendition.equals("source");
        String source = "__defaultVhost__/" + app + "/" + stream;
        String rungApp = app + "-abr";
        String rungStream = stream + "_" + rendition;
        return new StreamPublished(rung ? "__defaultVhost__/" + rungApp + "/" + rungStream : source, "__defaultVhost__",
                rung ? rungApp : app, rung ? rungStream : stream, Ids.uuid7(), recordingId, rung, source, rendition, "nginx-rtmp",
                "127.0.0.1", "17", "203.0.113.7", "rtmp://127.0.0.1/" + app, Instant.now());
    }

    private void register(StreamPublished p) throws Exception {
        TopicWriter.send(kafka, Topics.LIVE, p.streamKey(), CloudEvent.of("test", p, Clock.systemUTC()));
    }

    private void end(String streamKey) throws Exception {
        try (var producer = new KafkaProducer<String, CloudEvent<?>>(java.util.Map.of("bootstrap.servers", kafka),
                new StringSerializer(), new dev.tapedeck.contract.kafka.CloudEventSerializer())) {
            producer.send(new ProducerRecord<>(Topics.LIVE, streamKey, null)).get();
        }
    }

    @Test
    void aPublishIsListedLiveWithItsRungsUntilItEnds() throws Exception {
        String app = "liveit";
        String id = Ids.uuid7();
        // The registry's consumer has its partitions: the time measured below is the registry's, not a consumer's start.
        StreamPublished first = published(app, "warm", Ids.uuid7(), "source");
        register(first);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/streams/liveit/warm").then().statusCode(200));
        end(first.streamKey());

        StreamPublished source = published(app, "cam", id, "source");
        long sending = System.nanoTime();
        register(source);
        long sent = System.nanoTime();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> given().get("/api/v1/live")
                .then().statusCode(200).body("items.findAll { it.app == 'liveit' && it.stream == 'cam' }.recordingId", equalTo(List.of(id))));
        long listed = System.nanoTime();
        System.out.printf("listed live %d ms after the registry acknowledged the publish (%d ms after a new producer began to send it)%n",
                (listed - sent) / 1_000_000, (listed - sending) / 1_000_000);

        register(published(app, "cam", id, "360p"));
        register(published(app, "cam", id, "480p"));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/api/v1/streams/liveit/cam").then().statusCode(200)
                .body("renditions", equalTo(List.of("source", "480p", "360p"))).body("sessionId", equalTo(source.sessionId()))
                .body("recordingUrl", equalTo("/api/v1/recordings/" + id)).body("playbackUrl", nullValue()));
        given().get("/api/v1/live").then().body("items.findAll { it.app == 'liveit-abr' }", equalTo(List.of()));

        // Once the catalog lists its master and a poster, the live item points at them.
        CatalogEntry entry = new CatalogEntry(id, source.streamKey(), app, "cam", CatalogEntry.Status.LIVE, source.publishedAt(), null,
                10_000, "vod/" + id + "/master.m3u8", List.of(), null, Instant.now(), "vod/" + id + "/manifest.json",
                "vod/" + id + "/poster.jpg", null);
        TopicWriter.send(kafka, Topics.VODS, id, CloudEvent.of("test", entry, Clock.systemUTC()));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/api/v1/streams/liveit/cam").then()
                .body("playbackUrl", equalTo("/vod/" + id + "/master.m3u8")).body("posterUrl", equalTo("/vod/" + id + "/poster.jpg")));

        end(source.streamKey());
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/api/v1/streams/liveit/cam").then().statusCode(404)
                .body("code", equalTo("NOT_LIVE")));
        assertThat(given().get("/api/v1/live").then().extract().jsonPath().getList("items.app")).doesNotContain("liveit");
    }

    @Test
    void aNameThatIsNoStreamIsRefused() {
        given().get("/api/v1/streams/liveit/no%20such").then().statusCode(400).body("code", equalTo("INVALID_STREAM"));
        given().get("/api/v1/streams/liveit/never-published").then().statusCode(404).body("code", equalTo("NOT_LIVE"));
    }
}
