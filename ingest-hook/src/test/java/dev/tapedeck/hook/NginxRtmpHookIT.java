package dev.tapedeck.hook;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import dev.tapedeck.testkit.TopicWriter;
import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.event.CloudEvent;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
class NginxRtmpHookIT {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @Test
    void publishIsAnsweredAfterTheEventIsInKafkaAndUnpublishFollows() {
        String sessionId = given().contentType("application/x-www-form-urlencoded")
                .body("call=publish&app=live&name=cam1&type=live&addr=203.0.113.7&clientid=17&tcurl=rtmp%3A%2F%2Fh%2Flive")
                .post("/hooks/nginx-rtmp")
                .then().statusCode(200).body("sessionId", notNullValue()).extract().path("sessionId");

        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS); TopicReader live = new TopicReader(kafka, Topics.LIVE)) {
            ConsumerRecord<String, ?> published = streams.readToEnd().stream()
                    .filter(r -> r.value().data() instanceof StreamPublished p && p.sessionId().equals(sessionId))
                    .findFirst().orElseThrow(() -> new AssertionError("StreamPublished was not in Kafka when the hook answered"));
            assertThat(published.key()).isEqualTo("__defaultVhost__/live/cam1");
            assertThat(new String(published.headers().lastHeader("ce_type").value())).isEqualTo("dev.tapedeck.stream.published");
            StreamPublished p = (StreamPublished) ((dev.tapedeck.contract.event.CloudEvent<?>) published.value()).data();
            assertThat(p.clientAddr()).isEqualTo("203.0.113.7");
            assertThat(p.rendition()).isEqualTo("source");
            assertThat(p.derived()).isFalse();
            assertThat(live.readToEnd()).anyMatch(r -> r.key().equals("__defaultVhost__/live/cam1"));

            given().contentType("application/x-www-form-urlencoded").body("call=publish_done&app=live&name=cam1&clientid=17")
                    .post("/hooks/nginx-rtmp").then().statusCode(200);
            streams.await(r -> r.value().data() instanceof StreamUnpublished u && sessionId.equals(u.sessionId()), Duration.ofSeconds(10));
            live.await(r -> r.key().equals("__defaultVhost__/live/cam1") && r.value() == null, Duration.ofSeconds(10));
        }
    }

    static String publish(String name, String clientId) {
        return given().contentType("application/x-www-form-urlencoded")
                .body("call=publish&app=live&name=" + name + "&addr=203.0.113.7&clientid=" + clientId)
                .post("/hooks/nginx-rtmp").then().statusCode(200).extract().path("sessionId");
    }

    static void unpublish(String name, String clientId) {
        given().contentType("application/x-www-form-urlencoded").body("call=publish_done&app=live&name=" + name + "&clientid=" + clientId)
                .post("/hooks/nginx-rtmp").then().statusCode(200);
    }

    static List<StreamUnpublished> unpublishes(TopicReader streams, String name) {
        return streams.readToEnd().stream().filter(r -> r.value().data() instanceof StreamUnpublished u && u.stream().equals(name))
                .map(r -> (StreamUnpublished) r.value().data()).toList();
    }

    @Test
    void aLateUnpublishOfAnOldSessionLeavesTheNewSessionLive() {
        String old = publish("cam6", "21");
        String current = publish("cam6", "22");
        assertThat(current).isNotEqualTo(old);
        // The old connection's publish_done arrives after the new publish: it must not end the new session.
        unpublish("cam6", "21");
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS); TopicReader live = new TopicReader(kafka, Topics.LIVE)) {
            // The hook answers after its events are acknowledged: had it ended anything, it would be in Kafka now.
            assertThat(unpublishes(streams, "cam6")).isEmpty();
            assertThat(live.readToEnd()).filteredOn(r -> r.key().equals("__defaultVhost__/live/cam6")).last()
                    .satisfies(r -> assertThat(((StreamPublished) r.value().data()).sessionId()).isEqualTo(current));

            unpublish("cam6", "22");
            assertThat(unpublishes(streams, "cam6")).singleElement().satisfies(u -> assertThat(u.sessionId()).isEqualTo(current));
            assertThat(live.readToEnd()).filteredOn(r -> r.key().equals("__defaultVhost__/live/cam6")).last()
                    .satisfies(r -> assertThat(r.value()).as("tombstone").isNull());
        }
    }

    @Test
    void aRepeatedPublishCallbackForTheSameClientReturnsTheSameSession() {
        String first = publish("cam7", "31");
        String again = publish("cam7", "31");
        assertThat(again).isEqualTo(first);
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            assertThat(streams.readToEnd()).filteredOn(r -> r.value().data() instanceof StreamPublished p && p.stream().equals("cam7"))
                    .hasSize(1);
        }
    }

    @Test
    void anUnpublishEndsASessionOpenedByAnotherReplicaOrBeforeARestart() throws Exception {
        // Another replica (or this one before a restart) allowed the publish: only the live registry knows it.
        String session = Ids.uuid7();
        StreamPublished before = new StreamPublished("__defaultVhost__/live/cam8", "__defaultVhost__", "live", "cam8", session, session,
                false, "__defaultVhost__/live/cam8", "source", "nginx-rtmp", "127.0.0.1", "41", "203.0.113.7", null, Instant.now());
        TopicWriter.send(kafka, Topics.STREAMS, before.streamKey(), CloudEvent.of("ingest-hook", before, Clock.systemUTC()));
        TopicWriter.send(kafka, Topics.LIVE, before.streamKey(), CloudEvent.of("ingest-hook", before, Clock.systemUTC()));
        unpublish("cam8", "41");
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            assertThat(unpublishes(streams, "cam8")).singleElement().satisfies(u -> assertThat(u.sessionId()).isEqualTo(session));
        }
    }

    @Test
    void hostileNameIsRefusedWith403AndWritesNothing() {
        given().contentType("application/x-www-form-urlencoded").body("call=publish&app=live&name=..%2Fx&addr=1.2.3.4")
                .post("/hooks/nginx-rtmp")
                .then().statusCode(403).body("code", equalTo("INVALID_NAME"));
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            assertThat(streams.readToEnd()).noneMatch(r -> r.key() != null && r.key().contains("../x"));
        }
    }

    @Test
    void derivedAppNeedsTheTranscoderCredential() {
        given().contentType("application/x-www-form-urlencoded").body("call=publish&app=live-abr&name=cam2_720p")
                .post("/hooks/nginx-rtmp").then().statusCode(403).body("code", equalTo("RESERVED_APP"));
        given().contentType("application/x-www-form-urlencoded").body("call=publish&app=live-abr&name=cam2_720p&token=wrong")
                .post("/hooks/nginx-rtmp").then().statusCode(403).body("code", equalTo("RESERVED_APP"));
        String sessionId = given().contentType("application/x-www-form-urlencoded")
                .body("call=publish&app=live-abr&name=cam2_720p&token=test-transcoder-token")
                .post("/hooks/nginx-rtmp").then().statusCode(200).extract().path("sessionId");
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            StreamPublished p = streams.readToEnd().stream().map(r -> r.value().data())
                    .filter(d -> d instanceof StreamPublished sp && sp.sessionId().equals(sessionId))
                    .map(StreamPublished.class::cast).findFirst().orElseThrow();
            assertThat(p.derived()).isTrue();
            assertThat(p.rendition()).isEqualTo("720p");
            assertThat(p.sourceStreamKey()).isEqualTo("__defaultVhost__/live/cam2");
            assertThat(p.recordingId()).as("a rung without ?recording= opens its own").isEqualTo(sessionId);
        }
    }

    @Test
    void aRungIsFiledUnderTheRecordingTheTranscoderNames() {
        String source = "0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10";
        String sessionId = given().contentType("application/x-www-form-urlencoded")
                .body("call=publish&app=live-abr&name=cam3_480p&token=test-transcoder-token&recording=" + source)
                .post("/hooks/nginx-rtmp").then().statusCode(200).extract().path("sessionId");
        String hostile = given().contentType("application/x-www-form-urlencoded")
                .body("call=publish&app=live-abr&name=cam4_480p&token=test-transcoder-token&recording=..%2F..%2Fetc")
                .post("/hooks/nginx-rtmp").then().statusCode(200).extract().path("sessionId");
        String notARung = given().contentType("application/x-www-form-urlencoded")
                .body("call=publish&app=live&name=cam5&recording=" + source)
                .post("/hooks/nginx-rtmp").then().statusCode(200).extract().path("sessionId");
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            var published = streams.readToEnd().stream().map(r -> r.value().data())
                    .filter(StreamPublished.class::isInstance).map(StreamPublished.class::cast).toList();
            StreamPublished rung = published.stream().filter(p -> p.sessionId().equals(sessionId)).findFirst().orElseThrow();
            assertThat(rung.recordingId()).isEqualTo(source);
            assertThat(rung.rendition()).isEqualTo("480p");
            assertThat(rung.sourceStreamKey()).isEqualTo("__defaultVhost__/live/cam3");
            assertThat(published.stream().filter(p -> p.sessionId().equals(hostile)).findFirst().orElseThrow().recordingId())
                    .as("a recording id that is not a UUID is ignored").isEqualTo(hostile);
            assertThat(published.stream().filter(p -> p.sessionId().equals(notARung)).findFirst().orElseThrow().recordingId())
                    .as("a source cannot join another recording").isEqualTo(notARung);
        }
    }

    @Test
    void notifyMethodGetIsAnsweredLikeAPost() {
        String sessionId = given().get("/hooks/nginx-rtmp?call=publish&app=live&name=cam9&addr=203.0.113.9&clientid=51&token=x")
                .then().statusCode(200).extract().path("sessionId");
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            assertThat(streams.readToEnd()).anyMatch(r -> r.value().data() instanceof StreamPublished p && p.sessionId().equals(sessionId)
                    && p.clientId().equals("51"));
            given().get("/hooks/nginx-rtmp?call=publish_done&app=live&name=cam9&clientid=51").then().statusCode(200);
            assertThat(unpublishes(streams, "cam9")).singleElement().satisfies(u -> assertThat(u.sessionId()).isEqualTo(sessionId));
        }
        given().get("/hooks/nginx-rtmp?app=live&name=cam9").then().statusCode(400).body("code", equalTo("MALFORMED_HOOK"));
    }

    @Test
    void aBodyFarLargerThanAnyCallbackIsRefusedWith413() {
        given().contentType("application/x-www-form-urlencoded").body("call=publish&app=live&name=big&pad=" + "x".repeat(100_000))
                .post("/hooks/nginx-rtmp").then().statusCode(413);
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            assertThat(streams.readToEnd()).noneMatch(r -> r.key() != null && r.key().endsWith("/live/big"));
        }
    }

    @Test
    void malformedBodiesGetA400WithAJsonError() {
        given().contentType("application/x-www-form-urlencoded").body("app=live&name=x")
                .post("/hooks/nginx-rtmp").then().statusCode(400).body("code", equalTo("MALFORMED_HOOK"))
                .body("message", equalTo("form field 'call' is missing"));
        given().contentType("application/x-www-form-urlencoded").body("")
                .post("/hooks/nginx-rtmp").then().statusCode(400).body("code", equalTo("MALFORMED_HOOK"));
        given().contentType("application/x-www-form-urlencoded").body("call=publish&app=live&name=%zz")
                .post("/hooks/nginx-rtmp").then().statusCode(400).body("code", equalTo("MALFORMED_HOOK"));
    }
}
