package dev.tapedeck.contract;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.UUID;

/** Time-sortable ids (UUIDv7, RFC 9562) for sessions, recordings and events. */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    /** A new UUIDv7 string; ids minted later sort after earlier ones (millisecond resolution). */
    public static String uuid7() {
        return uuid7(Clock.systemUTC());
    }

    /** A new UUIDv7 string whose timestamp comes from {@code clock}. */
    public static String uuid7(Clock clock) {
        long millis = clock.millis();
        long randA = RANDOM.nextInt(1 << 12);
        long msb = (millis << 16) | (0x7L << 12) | randA;
        long lsb = (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }
}
