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
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Fail-closed (the default) with the broker stopped: publishes are refused within the budget, and the end of a
 * session that was live before the outage is kept and delivered once the broker is back.
 */
@QuarkusTest
@TestProfile(FailClosedOutageIT.ShortBudget.class)
@QuarkusTestResource(value = StoppableKafka.class, restrictToAnnotatedClass = true)
class FailClosedOutageIT {

    public static class ShortBudget implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tapedeck.hook.ack-timeout", "1s");
        }
    }

    @Test
    void publishesAreRefusedWithinTheBudgetAndEndsAreDeliveredLater() throws Exception {
        String before = FailOpenOutageIT.publish("closed-before", "1");
        StoppableKafka.stopBroker();

        long began = System.nanoTime();
        given().contentType("application/x-www-form-urlencoded").body("call=publish&app=live&name=closed-during&clientid=2")
                .post("/hooks/nginx-rtmp").then().statusCode(503).body("code", equalTo("EVENT_NOT_ACKNOWLEDGED"));
        assertThat((System.nanoTime() - began) / 1_000_000).as("answered within the 1 s budget").isLessThan(1_500);
        FailOpenOutageIT.unpublish("closed-before", "1");

        // Let the outage outlast the producer's own retries, so only the outbox can deliver what was kept.
        StoppableKafka.awaitFailedOutboxAttempt();
        StoppableKafka.startBroker();
        try (TopicReader streams = new TopicReader(StoppableKafka.broker.bootstrapServers(), Topics.STREAMS)) {
            streams.await(r -> r.value().data() instanceof StreamUnpublished u && u.sessionId().equals(before), Duration.ofSeconds(60));
            assertThat(streams.readToEnd()).noneMatch(r -> r.value().data() instanceof StreamPublished p
                    && p.stream().equals("closed-during") && !isEndedLater(streams, p.sessionId()));
        }
    }

    /** A refused publish whose event still reached the broker after the answer must be followed by its end. */
    private static boolean isEndedLater(TopicReader streams, String sessionId) {
        streams.await(r -> r.value().data() instanceof StreamUnpublished u && u.sessionId().equals(sessionId), Duration.ofSeconds(30));
        return true;
    }
}
