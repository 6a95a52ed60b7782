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
 * A held publish is released by its players' {@code on_play}: nginx-rtmp's, asked the way nginx asks (HTTP/1.0,
 * {@code Connection: Close}, the answer taken when the connection closes), and, with {@code srs} in
 * {@code attach-servers}, SRS's (the role in SRS's {@code param}, the player's query). The recorder and the
 * transcoder's worker then start at the first frame.
 */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
@TestProfile(AttachGateIT.HoldSrs.class)
class AttachGateIT {

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

    /**
     * One hook call as nginx-rtmp's notify makes it (ngx_rtmp_netcall_http_format_request): the whole answer, read to
     * the end of the stream as nginx does, then closed.
     */
    static String nginxCall(String form) throws java.io.IOException {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", io.restassured.RestAssured.port)) {
            socket.setSoTimeout(90_000);
            byte[] body = form.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            String head = "POST /hooks/nginx-rtmp HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Connection: Close\r\nContent-Length: " + body.length + "\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @Test
    void anNginxPublishIsReleasedWhenItsPlayersAnswersHaveBeenTakenAsNginxTakesThem() throws Exception {
        CompletableFuture<String> publish = CompletableFuture.supplyAsync(() -> {
            try {
                return nginxCall("call=publish&app=live&name=gated&type=live&addr=127.0.0.1&clientid=31");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            streams.await(r -> r.value().data() instanceof StreamPublished p && p.stream().equals("gated"), Duration.ofSeconds(30));
        }
        assertThat(nginxCall("call=play&app=live&name=gated&addr=127.0.0.1&clientid=32&tapedeck-role=recorder")).startsWith("HTTP/1.0 200");
        assertThat(publish).as("still held: the worker has not played").isNotDone();
        assertThat(nginxCall("call=play&app=live&name=gated&addr=127.0.0.1&clientid=33&tapedeck-role=transcoder")).startsWith("HTTP/1.0 200");
        // Released once the plays' connections closed, long before the 60 s attach wait would have let it go.
        assertThat(publish.get(30, TimeUnit.SECONDS)).startsWith("HTTP/1.0 200").contains("sessionId");
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
