package dev.tapedeck.hook;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import dev.tapedeck.contract.PublishTokens;
import dev.tapedeck.testkit.TapedeckTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** auth=hmac: a publish URL minted by the admin endpoint is accepted; none, a forged or an expired one is refused. */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
@TestProfile(PublishUrlIT.Hmac.class)
class PublishUrlIT {
    static final String SECRET = "test-hmac-secret";

    public static class Hmac implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tapedeck.hook.auth", "hmac", "tapedeck.hook.hmac-secret", SECRET, "tapedeck.hook.admin-token", "test-admin",
                    "tapedeck.hook.publish-base-url", "rtmp://media.example.com:1935");
        }
    }

    static int publish(String query) {
        return given().contentType("application/x-www-form-urlencoded")
                .body("call=publish&app=live&name=studio1&addr=203.0.113.7&clientid=61" + query)
                .post("/hooks/nginx-rtmp").then().extract().statusCode();
    }

    @Test
    void aMintedUrlPublishesAndNothingElseDoes() {
        given().contentType("application/json").body("{\"stream\":\"live/studio1\",\"ttl\":\"2h\"}")
                .post("/admin/publish-url").then().statusCode(401).body("code", equalTo("UNAUTHORIZED"));
        given().contentType("application/json").header("Authorization", "Bearer wrong").body("{\"stream\":\"live/studio1\"}")
                .post("/admin/publish-url").then().statusCode(401);
        given().contentType("application/json").header("Authorization", "Bearer test-admin").body("{\"stream\":\"live/../x\"}")
                .post("/admin/publish-url").then().statusCode(400).body("code", equalTo("INVALID_NAME"));
        String url = given().contentType("application/json").header("Authorization", "Bearer test-admin")
                .body("{\"stream\":\"live/studio1\",\"ttl\":\"2h\"}")
                .post("/admin/publish-url").then().statusCode(200).extract().path("url");
        assertThat(url).startsWith("rtmp://media.example.com:1935/live/studio1?token=").contains("&expires=");

        assertThat(publish("")).as("no token").isEqualTo(403);
        String query = URI.create(url.replace("rtmp://", "http://")).getRawQuery();
        assertThat(publish("&token=0000&" + query.substring(query.indexOf("expires=")))).as("forged token").isEqualTo(403);
        long past = Instant.now().getEpochSecond() - 5;
        assertThat(publish("&token=" + PublishTokens.sign(SECRET, PublishTokens.message("live", "studio1", past)) + "&expires=" + past))
                .as("expired").isEqualTo(403);
        assertThat(publish("&" + query)).as("the minted URL").isEqualTo(200);
    }
}
