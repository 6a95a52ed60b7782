package dev.tapedeck.vod;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import dev.tapedeck.testkit.Ports;
import dev.tapedeck.testkit.PostgresTestResource;
import dev.tapedeck.testkit.TapedeckTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
@TestProfile(StorageOutageIT.NoStorage.class)
class StorageOutageIT {
    @ConfigProperty(name = "tapedeck.storage.endpoint")
    String dead;

    /** Points the service at a port where no S3 server listens. */
    public static class NoStorage implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tapedeck.storage.endpoint", "http://127.0.0.1:" + Ports.free());
        }
    }

    @Test
    void unreachableObjectStoreMakesTheServiceNotReadyWithAClearMessage() {
        given().get("/q/health/ready").then().statusCode(503)
                .body("checks.find { it.name == 'object-storage' }.status", equalTo("DOWN"))
                .body("checks.find { it.name == 'object-storage' }.data.error", containsString("not reachable"))
                .body("checks.find { it.name == 'object-storage' }.data.error", containsString(dead));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/vod/0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10/master.m3u8").then().statusCode(503)
                .body("code", equalTo("STORAGE_UNAVAILABLE"));
        given().get("/q/health/ready").then().body("checks.name", hasItem("object-storage"));
    }
}
