package dev.tapedeck.contract;

/**
 * Where a stream is cut into slices and segments: at the first cut point (a video keyframe) at or after
 * each multiple of the length, in stream time. Every rendition of a recording carries the source's
 * keyframe times, so every rendition cuts at the same keyframes, even one whose recording began later
 * than the others'. Decide by the keyframe's presentation time: a source with B-frames and a rung
 * without them share keyframe PTS, not DTS.
 */
public final class CutGrid {
    private final long lengthMillis;
    private long start = Long.MIN_VALUE;

    /** @param lengthMillis the grid's spacing: the slice length or the segment target duration */
    public CutGrid(long lengthMillis) {
        if (lengthMillis <= 0) {
            throw new IllegalArgumentException("cut length must be positive, got " + lengthMillis + " ms");
        }
        this.lengthMillis = lengthMillis;
    }

    /**
     * Called for every packet in stream order. Returns true when this packet must open a new piece (the
     * current one is then complete); the first packet opens the first piece and returns false.
     *
     * @param timeMillis the packet's time in stream time (PTS for a keyframe)
     * @param cutPoint   whether a piece may start here (a video keyframe; any packet of an audio-only stream)
     */
    public boolean cutBefore(long timeMillis, boolean cutPoint) {
        if (start == Long.MIN_VALUE) {
            start = timeMillis;
            return false;
        }
        if (cutPoint && Math.floorDiv(timeMillis, lengthMillis) > Math.floorDiv(start, lengthMillis)) {
            start = timeMillis;
            return true;
        }
        return false;
    }

    /**
     * Checks that slices and segments share one grid: the slice length must be a whole multiple of the segment
     * duration, so every slice boundary is a segment boundary and segments line up across slices and renditions.
     *
     * @throws IllegalArgumentException naming both settings and a segment duration that would fit
     */
    public static void checkAligned(java.time.Duration sliceLength, java.time.Duration segmentDuration) {
        long slice = sliceLength.toMillis();
        long segment = segmentDuration.toMillis();
        if (segment <= 0 || slice <= 0 || slice % segment != 0) {
            long fit = segment;
            while (fit > 1 && slice % fit != 0) {
                fit--;
            }
            throw new IllegalArgumentException("tapedeck.recorder.slice-length (" + slice + " ms) must be a whole multiple of "
                    + "tapedeck.packager.segment-duration (" + segment + " ms), so that segments line up across slices; "
                    + "e.g. segment-duration " + fit + " ms");
        }
    }

    /** Time of the cut point that opened the current piece. */
    public long pieceStart() {
        return start;
    }
}
