package dev.tapedeck.hook;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * SRS's {@code on_play} contract releases a held publish: with {@code srs} in {@code attach-servers}, an SRS publish
 * waits until the recorder and the transcoder's worker have sent their {@code on_play} (their role in SRS's
 * {@code param}, the player's query), so both start at the first frame.
 */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
@TestProfile(SrsAttachGateIT.HoldSrs.class)
class SrsAttachGateIT {

    /** The attach wait is long, so that a publish released before it was released by the plays. */
    public static class HoldSrs implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tapedeck.hook.attach-servers", "nginx-rtmp,srs", "tapedeck.hook.attach-wait", "60s",
                    "tapedeck.hook.attach-roles", "recorder,transcoder", "tapedeck.hook.ack-timeout", "5s");
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    /** SRS's documented on_play body: the player's query in {@code param}. */
    static String onPlay(String stream, String clientId, String param) {
        return """
                {"server_id":"vid-0xk989d","service_id":"5p7t9c8g","action":"on_play","client_id":"%s","ip":"10.0.3.17",
                 "vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://srs:1935/live","stream":"%s","param":"%s",
                 "pageUrl":"","stream_url":"/live/%s","stream_id":"vid-7g1c2a3"}""".formatted(clientId, stream, param, stream);
    }

    @Test
    void anSrsPublishIsHeldUntilTheRecorderAndTheWorkerPlayed() throws Exception {
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            CompletableFuture<Response> publish = CompletableFuture.supplyAsync(() -> given().contentType("application/json")
                    .body(SrsHookIT.body("on_publish", "live", "held")).post("/hooks/srs"));
            // The event is sent before the publish waits for its players.
            streams.await(r -> r.value().data() instanceof StreamPublished p && p.stream().equals("held"), Duration.ofSeconds(30));
            given().contentType("application/json").body(onPlay("held", "r1c0rd3r", "?tapedeck-role=recorder"))
                    .post("/hooks/srs").then().statusCode(200).body("code", equalTo(0));
            assertThat(publish).as("still held: the worker has not played").isNotDone();
            given().contentType("application/json").body(onPlay("held", "w0rk3r1", "?tapedeck-role=transcoder"))
                    .post("/hooks/srs").then().statusCode(200).body("code", equalTo(0));
            // Released by the plays, long before the 60 s attach wait would have let it go.
            Response answered = publish.get(30, TimeUnit.SECONDS);
            assertThat(answered.statusCode()).isEqualTo(200);
            assertThat(answered.jsonPath().getInt("code")).isZero();
        }
    }
}
