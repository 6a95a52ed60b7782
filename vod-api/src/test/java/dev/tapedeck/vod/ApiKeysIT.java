package dev.tapedeck.vod;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.tapedeck.testkit.PostgresTestResource;
import dev.tapedeck.testkit.TapedeckTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code api-auth=keys}: no key, a wrong one, a read key on a change, an admin key, and a key revoked by editing the file. */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
@TestProfile(ApiKeysIT.Keys.class)
class ApiKeysIT {
    static final String READ = "read-key-0123456789abcdef";
    static final String ADMIN = "admin-key-0123456789abcdef";
    static final Path FILE;

    static {
        // One fixed path: the profile and the test may each load this class (each its own static state).
        try {
            FILE = Path.of("target", "api-keys-it", "keys").toAbsolutePath();
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, "# key scope\n" + READ + " read\n" + ADMIN + " admin\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** API keys from {@link #FILE}. */
    public static class Keys implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tapedeck.vod.api-auth", "keys", "tapedeck.vod.api-keys-file", FILE.toString());
        }
    }

    private static RequestSpecification with(String key) {
        return given().header("Authorization", "Bearer " + key);
    }

    private static final String UNKNOWN = "/api/v1/recordings/0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10";

    @Test
    void withoutAKnownKeyTheApiAnswers401AndTheReplayFilesAndHealthNeedNone() {
        given().get("/api/v1/recordings").then().statusCode(401).header("WWW-Authenticate", "Bearer")
                .body("code", equalTo("UNAUTHORIZED"));
        with("not-a-key").get("/api/v1/recordings").then().statusCode(401).body("code", equalTo("UNAUTHORIZED"));
        given().header("Authorization", "Basic " + READ).get("/api/v1/recordings").then().statusCode(401);
        with(READ + "x").get("/api/v1/recordings").then().statusCode(401);
        with(READ).get("/api/v1/recordings").then().statusCode(200);
        with(ADMIN).get("/api/v1/recordings").then().statusCode(200);
        given().get("/q/health/live").then().statusCode(200);
        given().get("/").then().statusCode(200);
    }

    @Test
    void aReadKeyMayNotChangeAndAnAdminKeyMay() {
        String body = "{\"title\": \"x\"}";
        with(READ).contentType("application/json").body(body).patch(UNKNOWN).then().statusCode(403)
                .body("code", equalTo("FORBIDDEN"));
        // Past the key: the recording does not exist.
        with(ADMIN).contentType("application/json").body(body).patch(UNKNOWN).then().statusCode(404)
                .body("code", equalTo("NOT_FOUND"));
        given().contentType("application/json").body(body).patch(UNKNOWN).then().statusCode(401);
    }

    @Test
    void aKeyRemovedFromTheFileIsRefusedAtOnceAndABrokenEditKeepsTheKeys() throws Exception {
        String revocable = "revocable-key-0123456789";
        String before = Files.readString(FILE);
        try {
            Files.writeString(FILE, before + revocable + " admin\n");
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> with(revocable).get("/api/v1/recordings").then().statusCode(200));
            Files.writeString(FILE, before);
            with(revocable).get("/api/v1/recordings").then().statusCode(401);
            // A line that cannot be read: the keys read before stay.
            Files.writeString(FILE, before + "a line of three words\n");
            with(READ).get("/api/v1/recordings").then().statusCode(200);
            with(revocable).get("/api/v1/recordings").then().statusCode(401);
        } finally {
            Files.writeString(FILE, before);
        }
        assertThat(Files.readString(FILE)).isEqualTo(before);
    }
}
