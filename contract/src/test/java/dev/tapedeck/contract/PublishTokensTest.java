package dev.tapedeck.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PublishTokensTest {
    static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    @Test
    void aUrlCarriesTheTokenOfItsStreamAndExpiry() {
        PublishTokens.SignedUrl u = PublishTokens.url("rtmp://media.example.com:1935/", "live/studio1", "s3cret", Duration.ofHours(2), NOW);
        long exp = NOW.plusSeconds(7200).getEpochSecond();
        assertThat(u.url()).isEqualTo("rtmp://media.example.com:1935/live/studio1?token="
                + PublishTokens.sign("s3cret", "live/studio1:" + exp) + "&expires=" + exp);
        assertThat(u.expires()).isEqualTo(NOW.plusSeconds(7200));
        // A known vector: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
        assertThat(PublishTokens.sign("key", "The quick brown fox jumps over the lazy dog"))
                .isEqualTo("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
    }

    @Test
    void ttlsReadAsOperatorsWriteThem() {
        assertThat(PublishTokens.ttl("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(PublishTokens.ttl("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(PublishTokens.ttl("PT30M")).isEqualTo(Duration.ofMinutes(30));
        assertThatThrownBy(() -> PublishTokens.ttl("soon")).hasMessageContaining("2h");
    }

    @Test
    void badStreamsSecretsAndTtlsAreRefused() {
        assertThatThrownBy(() -> PublishTokens.url("rtmp://h", "live/../x", "s", Duration.ofHours(1), NOW)).hasMessageContaining("stream");
        assertThatThrownBy(() -> PublishTokens.url("rtmp://h", "studio1", "s", Duration.ofHours(1), NOW)).hasMessageContaining("app/stream");
        assertThatThrownBy(() -> PublishTokens.url("rtmp://h", "live-abr/x_720p", "s", Duration.ofHours(1), NOW)).hasMessageContaining("reserved");
        assertThatThrownBy(() -> PublishTokens.url("rtmp://h", "live/x", "", Duration.ofHours(1), NOW)).hasMessageContaining("secret");
        assertThatThrownBy(() -> PublishTokens.url("rtmp://h", "live/x", "s", Duration.ZERO, NOW)).hasMessageContaining("ttl");
    }
}
