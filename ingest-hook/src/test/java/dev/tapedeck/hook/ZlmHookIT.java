package dev.tapedeck.hook;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.not;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** ZLMediaKit's web hook contract, from the payloads its documentation gives. */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
class ZlmHookIT {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    static String onPublish(String stream, String id) {
        return onPublish("live", stream, id);
    }

    static String onPublish(String app, String stream, String id) {
        return """
                {"mediaServerId":"your_server_id","app":"%s","id":"%s","ip":"10.0.17.132",
                 "params":"token=1677193e-1244-49f2-8868-13b3fcc31b17","port":65284,"schema":"rtmp",
                 "stream":"%s","vhost":"__defaultVhost__","originType":1,"originTypeStr":"rtmp_push"}""".formatted(app, id, stream);
    }

    static String onStreamChanged(String stream, boolean regist, String schema) {
        return """
                {"regist":%s,"aliveSecond":0,"app":"live","bytesSpeed":0,"createStamp":1617956908,
                 "mediaServerId":"your_server_id","originSock":{"identifier":"140241931428384","local_ip":"127.0.0.1",
                 "local_port":1935,"peer_ip":"127.0.0.1","peer_port":50097},"originType":1,"originTypeStr":"rtmp_push",
                 "originUrl":"","readerCount":0,"schema":"%s","stream":"%s","totalReaderCount":0,"tracks":[],
                 "vhost":"__defaultVhost__"}""".formatted(regist, schema, stream);
    }

    static io.restassured.response.ValidatableResponse post(String event, String body) {
        return given().contentType("application/json").body(body).post("/hooks/zlmediakit/" + event).then();
    }

    @Test
    void aPublishIsAllowedWithCodeZeroAndItsEndArrivesAsStreamChangedWithRegistFalse() {
        String sessionId = post("on_publish", onPublish("zlm1", "140186529001776")).statusCode(200).body("code", equalTo(0))
                .extract().path("sessionId");
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            assertThat(streams.readToEnd()).anyMatch(r -> r.value().data() instanceof StreamPublished p && p.sessionId().equals(sessionId)
                    && p.mediaServer().equals("zlmediakit") && p.serverId().equals("your_server_id")
                    && p.clientId().equals("140186529001776") && p.clientAddr().equals("10.0.17.132"));

            post("on_stream_changed", onStreamChanged("zlm1", true, "rtmp")).statusCode(200).body("code", equalTo(0));
            // Not the end yet: the stream also goes away in other protocols first; only rtmp counts.
            post("on_stream_changed", onStreamChanged("zlm1", false, "rtsp")).statusCode(200).body("code", equalTo(0));
            assertThat(streams.readToEnd()).noneMatch(r -> r.value().data() instanceof StreamUnpublished u && u.stream().equals("zlm1"));
            post("on_stream_changed", onStreamChanged("zlm1", false, "rtmp")).statusCode(200).body("code", equalTo(0));
            assertThat(streams.readToEnd()).filteredOn(r -> r.value().data() instanceof StreamUnpublished u && u.stream().equals("zlm1"))
                    .singleElement().satisfies(r -> assertThat(((StreamUnpublished) r.value().data()).sessionId()).isEqualTo(sessionId));
        }
    }

    @Test
    void anAllowedPublishCarriesTheConfiguredOptionsOfItsApp() {
        // Configured in application.properties (%test): "*" for every app, "live" overriding and adding.
        post("on_publish", onPublish("live", "zlm-opts", "9")).statusCode(200).body("code", equalTo(0))
                .body("continue_push_ms", equalTo(15000)).body("enable_mp4", equalTo(false)).body("enable_hls", equalTo(false));
        post("on_publish", onPublish("studio", "zlm-opts", "10")).statusCode(200).body("code", equalTo(0))
                .body("continue_push_ms", equalTo(15000)).body("enable_mp4", equalTo(true)).body("$", not(hasKey("enable_hls")));
        // A refusal carries no options.
        post("on_publish", onPublish("studio", "bad name", "11")).statusCode(200).body("$", not(hasKey("continue_push_ms")));
    }

    @Test
    void aStreamWithoutReadersIsNeverClosedUnderTheRecorder() {
        post("on_stream_none_reader", """
                {"mediaServerId":"your_server_id","app":"live","schema":"rtmp","stream":"zlm2","vhost":"__defaultVhost__"}""")
                .statusCode(200).body("code", equalTo(0)).body("close", equalTo(false));
    }

    @Test
    void refusalsCarryANonZeroCodeAndMalformedCallsA400() {
        post("on_publish", onPublish("bad name;rm", "1")).statusCode(200).body("code", not(equalTo(0)));
        post("on_publish", "{\"app\":").statusCode(400).body("code", equalTo(400));
        post("on_teleport", onPublish("zlm3", "2")).statusCode(400).body("code", equalTo(400));
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            assertThat(streams.readToEnd()).noneMatch(r -> r.key() != null && (r.key().contains("bad name") || r.key().endsWith("/zlm3")));
        }
    }
}
