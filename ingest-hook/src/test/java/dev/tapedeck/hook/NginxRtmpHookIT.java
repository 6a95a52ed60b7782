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
