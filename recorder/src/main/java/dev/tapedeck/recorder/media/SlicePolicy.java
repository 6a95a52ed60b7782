package dev.tapedeck.recorder.media;

/**
 * Where slices are cut: at the first keyframe whose DTS is at least the slice's first DTS plus the slice
 * length. Stream time only, never wall clock, so every rendition of a stream cuts at the same keyframe.
 */
public final class SlicePolicy {
    private final long lengthMillis;
    private long sliceStart = Long.MIN_VALUE;

    public SlicePolicy(long lengthMillis) {
        if (lengthMillis <= 0) {
            throw new IllegalArgumentException("slice length must be positive, got " + lengthMillis + " ms");
        }
        this.lengthMillis = lengthMillis;
    }

    /**
     * Called for every packet that will be written, in order. Returns true when this packet must open a
     * new slice (the current one is then complete).
     *
     * @param dtsMillis   the packet's DTS in stream time
     * @param cutPoint    true for a packet a slice may start with (a video keyframe, or any packet of an
     *                    audio-only stream)
     */
    public boolean cutBefore(long dtsMillis, boolean cutPoint) {
        if (sliceStart == Long.MIN_VALUE) {
            sliceStart = dtsMillis;
            return false;
        }
        if (cutPoint && dtsMillis >= sliceStart + lengthMillis) {
            sliceStart = dtsMillis;
            return true;
        }
        return false;
    }

    /** First DTS of the current slice. */
    public long sliceStart() {
        return sliceStart;
    }
}
