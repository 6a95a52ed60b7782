package dev.tapedeck.hook;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

import dev.tapedeck.testkit.Ports;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(BrokerOutageIT.NoBroker.class)
class BrokerOutageIT {

    /** Points the service at a port where no broker listens. */
    public static class NoBroker implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("kafka.bootstrap.servers", "127.0.0.1:" + Ports.free(),
                    "tapedeck.hook.ack-timeout", "1s");
        }
    }

    @Test
    void publishIsRefusedWhenKafkaCannotTakeTheEvent() {
        given().contentType("application/x-www-form-urlencoded").body("call=publish&app=live&name=outage")
                .post("/hooks/nginx-rtmp")
                .then().statusCode(503).body("code", equalTo("EVENT_NOT_ACKNOWLEDGED"));
        long began = System.nanoTime();
        given().contentType("application/json").body(SrsHookIT.body("on_publish", "live", "outage"))
                .post("/hooks/srs")
                .then().statusCode(200).body("code", equalTo(503)).body("error", equalTo("EVENT_NOT_ACKNOWLEDGED"));
        // One budget (1 s here) for the whole callback, not one per send: well inside a media server's hook timeout.
        org.assertj.core.api.Assertions.assertThat((System.nanoTime() - began) / 1_000_000).isLessThan(2_500);
    }
}
