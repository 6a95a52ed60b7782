package dev.tapedeck.contract;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signed publish URLs ({@code auth=hmac}): {@code ?token=hex(HMAC-SHA256(secret, "{app}/{stream}:{expires}"))&expires={unix s}}.
 * The hook checks them; operators mint them with {@code ./tapedeck publish-url} or ingest-hook's admin endpoint.
 */
public final class PublishTokens {
    private PublishTokens() {
    }

    /** A publish URL valid until {@code expires}. */
    public record SignedUrl(String url, Instant expires) {
    }

    /** {@code 90s}, {@code 30m}, {@code 2h}, {@code 7d} or ISO-8601 ({@code PT2H}). */
    public static Duration ttl(String text) {
        String t = text == null ? "" : text.strip();
        try {
            if (t.matches("\\d+[smhd]")) {
                long n = Long.parseLong(t.substring(0, t.length() - 1));
                return switch (t.charAt(t.length() - 1)) {
                    case 's' -> Duration.ofSeconds(n);
                    case 'm' -> Duration.ofMinutes(n);
                    case 'h' -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            }
            return Duration.parse(t);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("ttl '" + t + "' is not like 90s, 30m, 2h, 7d or PT2H");
        }
    }

    /** Hex HMAC-SHA256 of {@code message}. */
    public static String sign(String secret, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    /** What is signed for {@code app/stream} until {@code expires} (unix seconds). */
    public static String message(String app, String stream, long expires) {
        return app + "/" + stream + ":" + expires;
    }

    /**
     * {@code rtmp://host:1935/live/studio1?token=…&expires=…}
     *
     * @param base   {@code rtmp://media.example.com:1935}
     * @param stream {@code live/studio1}, both parts valid stream-key parts
     * @param ttl    how long the URL may be used to start a publish
     */
    public static SignedUrl url(String base, String stream, String secret, Duration ttl, Instant now) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("no HMAC secret: set tapedeck.hook.hmac-secret (TAPEDECK_HOOK_HMAC_SECRET)");
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("the ttl must be positive, got " + ttl);
        }
        String[] parts = stream.split("/", -1);
        if (parts.length != 2) {
            throw new StreamKey.InvalidNameException("stream must be app/stream, got '" + stream + "'");
        }
        StreamKey.requirePart("app", parts[0]);
        StreamKey.requirePart("stream", parts[1]);
        if (parts[0].endsWith(StreamKey.DERIVED_APP_SUFFIX)) {
            throw new StreamKey.InvalidNameException("app '" + parts[0] + "' is reserved for the transcoder's rungs");
        }
        Instant expires = now.plus(ttl);
        long exp = expires.getEpochSecond();
        String token = sign(secret, message(parts[0], parts[1], exp));
        String b = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        return new SignedUrl(b + "/" + parts[0] + "/" + parts[1] + "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)
                + "&expires=" + exp, Instant.ofEpochSecond(exp));
    }
}
