package dev.tapedeck.hook;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.hook.config.HookConfig;
import dev.tapedeck.hook.service.LiveRegistry;
import dev.tapedeck.hook.service.LiveRegistryAccess;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import dev.tapedeck.testkit.TopicWriter;
import dev.tapedeck.contract.kafka.LiveEndHeaders;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** A source republished within its app's reconnect window continues its recording; after it, a new one opens. */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
class ReconnectWindowIT {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @Inject
    LiveRegistry registry;

    @Inject
    HookConfig config;

    static String publish(String app, String name, String clientId, String extra) {
        return given().contentType("application/x-www-form-urlencoded")
                .body("call=publish&app=" + app + "&name=" + name + "&addr=203.0.113.7&clientid=" + clientId + extra)
                .post("/hooks/nginx-rtmp").then().statusCode(200).extract().path("sessionId");
    }

    static void unpublish(String app, String name, String clientId) {
        given().contentType("application/x-www-form-urlencoded").body("call=publish_done&app=" + app + "&name=" + name + "&clientid=" + clientId)
                .post("/hooks/nginx-rtmp").then().statusCode(200);
    }

    StreamPublished published(String sessionId) {
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            return streams.readToEnd().stream().map(r -> r.value().data())
                    .filter(d -> d instanceof StreamPublished p && p.sessionId().equals(sessionId))
                    .map(StreamPublished.class::cast).findFirst().orElseThrow();
        }
    }

    @Test
    void aRepublishWithinTheWindowContinuesTheRecordingAndSoDoItsRungs() {
        String first = publish("live", "cam20", "61", "");
        unpublish("live", "cam20", "61");
        try (TopicReader streams = new TopicReader(kafka, Topics.STREAMS)) {
            assertThat(streams.readToEnd()).anyMatch(r -> r.value().data() instanceof StreamUnpublished u && first.equals(u.sessionId())
                    && first.equals(u.recordingId()));
        }
        String second = publish("live", "cam20", "62", "");
        assertThat(second).isNotEqualTo(first);
        StreamPublished p = published(second);
        assertThat(p.recordingId()).as("the recording of the session that ended").isEqualTo(first);
        assertThat(p.reconnected()).isTrue();

        String rung = publish("live-abr", "cam20_480p", "63", "&token=test-transcoder-token&recording=" + first);
        assertThat(published(rung)).satisfies(r -> {
            assertThat(r.recordingId()).isEqualTo(first);
            assertThat(r.reconnected()).as("the rung of a republished source continues too").isTrue();
        });

        // Ended again and back again: still the same recording.
        unpublish("live", "cam20", "62");
        assertThat(published(publish("live", "cam20", "64", "")).recordingId()).isEqualTo(first);
    }

    @Test
    void afterTheAppsWindowARepublishOpensANewRecording() throws Exception {
        assertThat(config.reconnectWindowOf("brief")).isEqualTo(Duration.ofSeconds(1));
        String first = publish("brief", "cam21", "71", "");
        unpublish("brief", "cam21", "71");
        Instant ended = Instant.now();
        // Let the app's window pass.
        while (Duration.between(ended, Instant.now()).compareTo(Duration.ofMillis(1100)) < 0) {
            Thread.sleep(20);
        }
        String second = publish("brief", "cam21", "72", "");
        StreamPublished p = published(second);
        assertThat(p.recordingId()).as("a new recording").isEqualTo(second).isNotEqualTo(first);
        assertThat(p.reconnected()).isFalse();
        String rung = publish("brief-abr", "cam21_360p", "73", "&token=test-transcoder-token&recording=" + second);
        assertThat(published(rung).reconnected()).isFalse();
    }

    @Test
    void anEndAnotherReplicaWroteIsReadFromTheLiveRegistryEvenAfterARestart() throws Exception {
        // Another replica answered the publish and its end: only its tombstone on the live registry knows the recording.
        String session = Ids.uuid7();
        StreamUnpublished end = new StreamUnpublished("__defaultVhost__/live/cam22", "__defaultVhost__", "live", "cam22", session, false,
                "nginx-rtmp", "81", Instant.now(), session);
        TopicWriter.send(kafka, Topics.STREAMS, end.streamKey(), CloudEvent.of("ingest-hook", end, Clock.systemUTC()));
        TopicWriter.send(kafka, Topics.LIVE, end.streamKey(), null, LiveEndHeaders.of(end));

        await(() -> registry.lastEnded(end.streamKey()).isPresent());
        assertThat(published(publish("live", "cam22", "82", "")).recordingId()).isEqualTo(session);

        // A replica started after the end reads it too (and the session live again since then).
        LiveRegistry restarted = LiveRegistryAccess.start(kafka, config);
        try {
            await(() -> restarted.current(end.streamKey()).isPresent());
            assertThat(restarted.current(end.streamKey()).orElseThrow().recordingId()).isEqualTo(session);
            unpublish("live", "cam22", "82");
            await(() -> restarted.lastEnded(end.streamKey()).isPresent());
            assertThat(restarted.lastEnded(end.streamKey()).orElseThrow().recordingId()).isEqualTo(session);
        } finally {
            LiveRegistryAccess.stop(restarted);
        }
    }

    static void await(Supplier<Boolean> done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!done.get()) {
            assertThat(System.nanoTime()).as("waited 20 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
