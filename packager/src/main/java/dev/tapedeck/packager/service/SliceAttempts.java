package dev.tapedeck.packager.service;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.storage.ObjectStore;
import java.nio.charset.StandardCharsets;

/**
 * The packager's durable count of native attempts at a slice: written to object storage before the native work starts
 * and removed once it ends (with a result or an error), so that a count left behind means the process died in it. A
 * slice whose count reached the limit is not tried again: its caller leaves it out as a gap. Kept for such a slice, so
 * that a redelivery does not try it again either.
 */
final class SliceAttempts {
    private final ObjectStore store;
    private final int limit;

    SliceAttempts(ObjectStore store, int limit) {
        this.store = store;
        this.limit = limit;
    }

    /**
     * How many earlier attempts at {@code slice} the process died in; throws {@link Exhausted} when they reached the
     * limit. A storage error passes through (the step is retried).
     */
    int died(SliceStored slice) {
        int died = store.getBytes(key(slice)).map(b -> parse(new String(b, StandardCharsets.UTF_8))).orElse(0);
        if (died >= limit) {
            throw new Exhausted(died);
        }
        return died;
    }

    /** Records one more attempt at {@code slice}, after {@code died} that the process died in. */
    void begin(SliceStored slice, int died) {
        store.putBytes(key(slice), String.valueOf(died + 1).getBytes(StandardCharsets.UTF_8), "text/plain");
    }

    /** The attempt that {@link #begin(SliceStored, int)} recorded ended without the process dying. */
    void end(SliceStored slice) {
        store.delete(key(slice));
    }

    private static String key(SliceStored slice) {
        return StorageKeys.packagerAttempts(slice.recordingId(), slice.rendition(), slice.seq());
    }

    private static int parse(String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            return 1; // written halfway: one attempt at least
        }
    }

    /** The slice's native work killed the process as many times as allowed. */
    static final class Exhausted extends RuntimeException {
        final int died;

        Exhausted(int died) {
            super("its packaging stopped the packager " + died + " time" + (died == 1 ? "" : "s"), null, false, false);
            this.died = died;
        }
    }
}
