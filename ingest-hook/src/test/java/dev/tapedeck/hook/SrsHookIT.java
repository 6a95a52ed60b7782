package dev.tapedeck.hook;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
class SrsHookIT {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    static String body(String action, String app, String stream) {
        return """
                {"action":"%s","client_id":"341w361a","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"%s",
                 "stream":"%s","param":"?token=abc","tcUrl":"rtmp://127.0.0.1/live","stream_url":"/live/x",
                 "stream_id":"vid-2a3i5f8","server_id":"vid-0xk989d","service_id":"5p7t9c8g"}""".formatted(action, app, stream);
    }

    @Test
    void publishAllowedWithCodeZero() {
        String sessionId = given().contentType("application/json").body(body("on_publish", "live", "srs1"))
                .post("/hooks/srs").then().statusCode(200).body("code", equalTo(0)).extract().path("sessionId");
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            assertThat(streams.readToEnd()).anyMatch(r -> r.value().data() instanceof StreamPublished p
                    && p.sessionId().equals(sessionId) && p.mediaServer().equals("srs") && p.serverId().equals("vid-0xk989d"));
        }
        given().contentType("application/json").body(body("on_unpublish", "live", "srs1"))
                .post("/hooks/srs").then().statusCode(200).body("code", equalTo(0));
    }

    @Test
    void badNameGetsANonZeroCodeAndNoEvent() {
        given().contentType("application/json").body(body("on_publish", "live", "bad name;rm"))
                .post("/hooks/srs").then().statusCode(200).body("code", not(equalTo(0))).body("error", equalTo("INVALID_NAME"));
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            assertThat(streams.readToEnd()).noneMatch(r -> r.key() != null && r.key().contains("bad name"));
        }
    }

    @Test
    void malformedJsonGetsA400WithAJsonError() {
        // SRS reads the answer's code as an integer: a refusal is a non-zero integer.
        given().contentType("application/json").body("{\"action\":")
                .post("/hooks/srs").then().statusCode(400).body("code", equalTo(400)).body("error", equalTo("MALFORMED_HOOK"));
        given().contentType("application/json").body("{\"action\":\"on_publish\"}")
                .post("/hooks/srs").then().statusCode(400).body("code", equalTo(400)).body("error", equalTo("MALFORMED_HOOK"));
        given().contentType("application/json").body(body("on_teleport", "live", "srs2"))
                .post("/hooks/srs").then().statusCode(400).body("code", equalTo(400)).body("message", equalTo("unknown action 'on_teleport'"));
    }
}
