package dev.tapedeck.contract;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * Keeps a pull's timestamps monotonic and continuous when the publisher's are not: a DTS that jumps forward by more
 * than the threshold, one that goes back (a publisher restarted on the same connection, a concatenated file), and
 * FLV's 32-bit wrap-around (timestamps are milliseconds modulo 2^32). All streams of the pull share one offset, so
 * audio and video stay in sync. A jump or a rollback is a fault: the stream continues right after the highest
 * timestamp written so far, and the caller starts a new slice marked as a discontinuity. A wrap is no fault: time
 * goes on, only the counter overflowed.
 */
public final class TimestampRebaser {
    /** What was corrected. */
    public enum Fault { FORWARD_JUMP, ROLLBACK, WRAP }

    static final long WRAP_MILLIS = 1L << 32;
    /** A stream's DTS may trail the other streams' by this much (interleaving) without being a rollback. */
    static final long SKEW_MILLIS = 1_000;
    /** Where the new timeline starts after a fault: one frame after the last timestamp written. */
    static final long STEP_MILLIS = 33;

    private final long jumpMillis;
    private final Map<Integer, Long> lastRaw = new HashMap<>();
    private final Map<Integer, Long> lastOut = new HashMap<>();
    /** Per stream: 2^32 times the wraps seen (each stream's counter wraps on its own). */
    private final Map<Integer, Long> unwrap = new HashMap<>();
    private final Map<Fault, Integer> counts = new EnumMap<>(Fault.class);
    private long offset;
    private long maxOut = Long.MIN_VALUE;

    /** @param jumpMillis a forward step larger than this is a jump (a continuous stream steps by a frame) */
    public TimestampRebaser(long jumpMillis) {
        this.jumpMillis = jumpMillis;
    }

    /** The result for one packet: its DTS in the continuous timeline, and the fault it revealed, if any. */
    public record Rebased(long dtsMillis, long offsetMillis, Fault fault) {
    }

    /** Rebases a packet of {@code stream} with DTS {@code rawMillis}; call in stream order. */
    public Rebased rebase(int stream, long rawMillis) {
        Fault fault = null;
        Long prevRaw = lastRaw.get(stream);
        if (prevRaw != null && prevRaw > WRAP_MILLIS - jumpMillis && rawMillis < jumpMillis) {
            unwrap.merge(stream, WRAP_MILLIS, Long::sum);
            fault = Fault.WRAP;
        }
        long unwrapped = rawMillis + unwrap.getOrDefault(stream, 0L);
        if (maxOut == Long.MIN_VALUE && (unwrapped > WRAP_MILLIS / 2 || unwrapped < 0)) {
            // FLV carries 31 bits of milliseconds: a pull that starts this late (a publisher up for weeks, or one
            // starting just below the wrap) is taken from 0, so no slice wraps inside. So is one that starts below 0:
            // FFmpeg's demuxer takes a stream that starts just below the wrap as negative time up to the wrap, and
            // a muxer would move a slice's negative timestamps up to 0 on its own, out of line with the next slice.
            offset = -unwrapped;
        }
        long out = unwrapped + offset;
        Long prev = lastOut.get(stream);
        long reference = prev != null ? prev : maxOut;
        if (fault == null && reference != Long.MIN_VALUE) {
            if (out > reference + jumpMillis) {
                fault = Fault.FORWARD_JUMP;
            } else if (out < reference - (prev != null ? 0 : SKEW_MILLIS) && out < maxOut - SKEW_MILLIS) {
                fault = Fault.ROLLBACK;
            }
            if (fault != null) {
                offset = maxOut + STEP_MILLIS - unwrapped;
                out = unwrapped + offset;
            }
        }
        if (prev != null && out <= prev) {
            // Each stream's DTS must rise in a file: a packet that trails its stream after a fault is nudged.
            out = prev + 1;
        }
        lastRaw.put(stream, rawMillis);
        lastOut.put(stream, out);
        maxOut = Math.max(maxOut, out);
        if (fault != null) {
            counts.merge(fault, 1, Integer::sum);
        }
        return new Rebased(out, out - rawMillis, fault);
    }

    /** Faults corrected so far, by kind. */
    public Map<Fault, Integer> counts() {
        return Map.copyOf(counts);
    }
}
