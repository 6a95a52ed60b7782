package dev.tapedeck.hook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.hook.config.HookConfig;
import dev.tapedeck.hook.service.PublishAuthorizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublishAuthorizerTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-21T10:00:00Z"), ZoneOffset.UTC);
    static final StreamKey KEY = new StreamKey("__defaultVhost__", "live", "demo");

    static HookConfig config(HookConfig.AuthMode mode, Path keys) {
        return new HookConfig() {
            public AuthMode auth() { return mode; }
            public Optional<Path> keysFile() { return Optional.ofNullable(keys); }
            public Optional<Path> outboxDir() { return Optional.empty(); }
            public java.util.Map<String, java.util.Map<String, String>> zlmediakitOptions() { return java.util.Map.of(); }
            public Optional<String> hmacSecret() { return Optional.of("s3cret"); }
            public Optional<String> transcoderToken() { return Optional.of("tt"); }
            public Duration ackTimeout() { return Duration.ofSeconds(1); }
            public boolean failClosed() { return true; }
            public Duration attachWait() { return Duration.ZERO; }
            public java.util.Set<String> attachRoles() { return java.util.Set.of("recorder"); }
            public java.util.Set<String> attachServers() { return java.util.Set.of("nginx-rtmp"); }
            public String zlmediakitEndSchema() { return "rtmp"; }
            public Optional<String> adminToken() { return Optional.empty(); }
            public String publishBaseUrl() { return "rtmp://127.0.0.1:1935"; }
            public Duration reconnectWindow() { return Duration.ofSeconds(30); }
            public java.util.Map<String, Duration> reconnectWindows() { return java.util.Map.of(); }
        };
    }

    @Test
    void hmacTokenMustMatchAndNotBeExpired() {
        var auth = new PublishAuthorizer(config(HookConfig.AuthMode.HMAC, null), CLOCK);
        long exp = CLOCK.instant().getEpochSecond() + 60;
        String token = dev.tapedeck.contract.PublishTokens.sign("s3cret", "live/demo:" + exp);
        assertThat(auth.check(KEY, Map.of("token", token, "expires", "" + exp))).isEmpty();
        assertThat(auth.check(KEY, Map.of("token", token, "expires", "" + (exp + 1)))).isPresent();
        long past = CLOCK.instant().getEpochSecond() - 1;
        assertThat(auth.check(KEY, Map.of("token", dev.tapedeck.contract.PublishTokens.sign("s3cret", "live/demo:" + past), "expires", "" + past)))
                .hasValueSatisfying(d -> assertThat(d.message()).contains("expired"));
        assertThat(auth.check(KEY, Map.of())).isPresent();
    }

    @Test
    void aChangedKeysFileIsReadAgainAndABrokenEditKeepsTheOldKeys(@TempDir Path dir) throws Exception {
        Path keys = dir.resolve("keys");
        Files.writeString(keys, "live/demo k1\n");
        var auth = new PublishAuthorizer(config(HookConfig.AuthMode.STATIC, keys), CLOCK);
        assertThat(auth.check(KEY, Map.of("token", "k1"))).isEmpty();

        Files.writeString(keys, "live/demo k2\n");
        Files.setLastModifiedTime(keys, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        assertThat(auth.check(KEY, Map.of("token", "k1"))).as("the old key is gone").isPresent();
        assertThat(auth.check(KEY, Map.of("token", "k2"))).isEmpty();

        Files.writeString(keys, "live/demo k3 oops\n");
        Files.setLastModifiedTime(keys, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 10_000));
        assertThat(auth.check(KEY, Map.of("token", "k2"))).as("a broken edit keeps what was read before").isEmpty();
    }

    @Test
    void staticKeysMatchPerStreamOrPerApp(@TempDir Path dir) throws Exception {
        Path keys = dir.resolve("keys");
        Files.writeString(keys, "# comment\nlive/demo k1\nstudio/* k2\n");
        var auth = new PublishAuthorizer(config(HookConfig.AuthMode.STATIC, keys), CLOCK);
        assertThat(auth.check(KEY, Map.of("token", "k1"))).isEmpty();
        assertThat(auth.check(KEY, Map.of("token", "k2"))).isPresent();
        assertThat(auth.check(new StreamKey("v", "studio", "any"), Map.of("token", "k2"))).isEmpty();
        assertThat(auth.check(new StreamKey("v", "other", "any"), Map.of("token", "k2"))).isPresent();
    }

    @Test
    void reservedAppsAcceptOnlyTheTranscoderTokenWhateverTheMode() {
        var auth = new PublishAuthorizer(config(HookConfig.AuthMode.NONE, null), CLOCK);
        StreamKey rung = new StreamKey("v", "live-abr", "demo_480p");
        assertThat(auth.check(rung, Map.of())).hasValueSatisfying(d -> assertThat(d.code()).isEqualTo("RESERVED_APP"));
        assertThat(auth.check(rung, Map.of("token", "tt"))).isEmpty();
    }
}
