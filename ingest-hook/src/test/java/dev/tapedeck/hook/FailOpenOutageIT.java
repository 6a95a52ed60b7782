package dev.tapedeck.hook;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.testkit.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Fail-open: with the broker stopped, publishes are allowed and their events arrive, in order, once it is back. */
@QuarkusTest
@TestProfile(FailOpenOutageIT.FailOpen.class)
@QuarkusTestResource(value = StoppableKafka.class, restrictToAnnotatedClass = true)
class FailOpenOutageIT {

    public static class FailOpen implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tapedeck.hook.fail-closed", "false", "tapedeck.hook.ack-timeout", "1s");
        }
    }

    static String publish(String name, String client) {
        return given().contentType("application/x-www-form-urlencoded")
                .body("call=publish&app=live&name=" + name + "&clientid=" + client + "&addr=127.0.0.1")
                .post("/hooks/nginx-rtmp").then().statusCode(200).body("code", equalTo(0)).extract().path("sessionId");
    }

    static void unpublish(String name, String client) {
        given().contentType("application/x-www-form-urlencoded")
                .body("call=publish_done&app=live&name=" + name + "&clientid=" + client + "&addr=127.0.0.1")
                .post("/hooks/nginx-rtmp").then().statusCode(200);
    }

    @Test
    void eventsKeptDuringTheOutageArriveInOrderOnceTheBrokerIsBack() throws Exception {
        String before = publish("open-before", "1");
        StoppableKafka.stopBroker();

        long began = System.nanoTime();
        String first = publish("open-during", "2");
        unpublish("open-during", "2");
        String second = publish("open-during", "3");
        unpublish("open-before", "1");
        // Every answer within the budget (1 s here), most at once (they queue behind events already waiting).
        assertThat((System.nanoTime() - began) / 1_000_000).isLessThan(4 * 1_500);
        assertThat(Files.list(StoppableKafka.outbox).count()).as("events kept on disk").isEqualTo(4);

        // Let the outage outlast the producer's own retries, so only the outbox can deliver what was kept.
        StoppableKafka.awaitFailedOutboxAttempt();
        StoppableKafka.startBroker();
        try (TopicReader streams = new TopicReader(StoppableKafka.broker.bootstrapServers(), Topics.STREAMS)) {
            streams.await(r -> r.value().data() instanceof StreamUnpublished u && u.sessionId().equals(before), Duration.ofSeconds(60));
            streams.await(r -> r.value().data() instanceof StreamPublished p && p.sessionId().equals(second), Duration.ofSeconds(60));
            List<String> during = streams.readToEnd().stream().filter(r -> r.key().equals("__defaultVhost__/live/open-during"))
                    .map(FailOpenOutageIT::describe).toList();
            assertThat(during).containsExactly("published " + first, "unpublished " + first, "published " + second);
        }
        try (TopicReader live = new TopicReader(StoppableKafka.broker.bootstrapServers(), Topics.LIVE)) {
            List<ConsumerRecord<String, dev.tapedeck.contract.event.CloudEvent<?>>> all = live.readToEnd();
            ConsumerRecord<String, ?> last = all.stream().filter(r -> r.key().equals("__defaultVhost__/live/open-during"))
                    .reduce((a, b) -> b).orElseThrow();
            assertThat(((StreamPublished) ((dev.tapedeck.contract.event.CloudEvent<?>) last.value()).data()).sessionId()).isEqualTo(second);
            assertThat(all.stream().filter(r -> r.key().equals("__defaultVhost__/live/open-before")).reduce((a, b) -> b).orElseThrow().value())
                    .as("the tombstone of the session that ended during the outage").isNull();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (Files.list(StoppableKafka.outbox).anyMatch(f -> f.toString().endsWith(".json")) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(Files.list(StoppableKafka.outbox).filter(f -> f.toString().endsWith(".json"))).as("delivered events leave the outbox").isEmpty();
    }

    static String describe(ConsumerRecord<String, dev.tapedeck.contract.event.CloudEvent<?>> r) {
        if (r.value().data() instanceof StreamPublished p) {
            return "published " + p.sessionId();
        }
        return "unpublished " + ((StreamUnpublished) r.value().data()).sessionId();
    }
}
