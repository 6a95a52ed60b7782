package dev.tapedeck.vod.catalog;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Opaque keyset cursors: the last id of a page, the listing it belongs to and when it expires, signed, so that a cursor
 * altered, expired or used with another listing is refused rather than answered with a wrong page.
 */
public final class Cursors {
    private static final Base64.Encoder ENCODE = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODE = Base64.getUrlDecoder();
    private static final int SIGNATURE_BYTES = 16;

    private final SecretKeySpec key;
    private final Duration lifetime;
    private final Clock clock;

    public Cursors(String secret, Duration lifetime, Clock clock) {
        this.key = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
        this.lifetime = lifetime;
        this.clock = clock;
    }

    /** Why a cursor was refused. */
    public static class InvalidCursorException extends RuntimeException {
        InvalidCursorException(String message) {
            super(message);
        }
    }

    /** The cursor of the page that follows the one ending with {@code lastId}. */
    public String next(ListQuery query, String lastId) {
        long expires = clock.instant().plus(lifetime).getEpochSecond();
        String body = "1." + lastId + "." + expires;
        byte[] sig = sign(body, query);
        return ENCODE.encodeToString(body.getBytes(StandardCharsets.US_ASCII)) + "." + ENCODE.encodeToString(sig);
    }

    /** The id after which {@code cursor}'s page begins, for {@code query}; refused when not this listing's or expired. */
    public String position(ListQuery query, String cursor) {
        String[] parts = cursor.split("\\.", -1);
        if (parts.length != 2 || cursor.length() > 300) {
            throw new InvalidCursorException("not a cursor of this API");
        }
        String body;
        byte[] sig;
        try {
            body = new String(DECODE.decode(parts[0]), StandardCharsets.US_ASCII);
            sig = DECODE.decode(parts[1]);
        } catch (IllegalArgumentException e) {
            throw new InvalidCursorException("not a cursor of this API");
        }
        // Only the one spelling this API writes: the decoder ignores the spare bits of a last character.
        if (!ENCODE.encodeToString(sig).equals(parts[1])
                || !ENCODE.encodeToString(body.getBytes(StandardCharsets.US_ASCII)).equals(parts[0])) {
            throw new InvalidCursorException("the cursor does not belong to this listing (another query, or altered)");
        }
        if (!MessageDigest.isEqual(sig, sign(body, query))) {
            throw new InvalidCursorException("the cursor does not belong to this listing (another query, or altered)");
        }
        String[] fields = body.split("\\.", -1);
        if (fields.length != 3 || !fields[0].equals("1")) {
            throw new InvalidCursorException("not a cursor of this API");
        }
        long expires;
        try {
            expires = Long.parseLong(fields[2]);
        } catch (NumberFormatException e) {
            throw new InvalidCursorException("not a cursor of this API");
        }
        if (clock.instant().getEpochSecond() > expires) {
            throw new InvalidCursorException("the cursor has expired: list again from the first page");
        }
        return fields[1];
    }

    private byte[] sign(String body, ListQuery query) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update(body.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) 0);
            mac.update(query.identity().getBytes(StandardCharsets.UTF_8));
            return Arrays.copyOf(mac.doFinal(), SIGNATURE_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
