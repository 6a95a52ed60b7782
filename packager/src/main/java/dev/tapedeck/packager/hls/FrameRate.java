package dev.tapedeck.packager.hls;

/**
 * A variant's {@code FRAME-RATE}: RFC 8216's "maximum frame rate", measured on the video frames' timestamps.
 *
 * <p>Each segment's rate is its frame intervals over the span from its first frame's DTS to its last, never over the
 * segment's duration: the last segment of a recording runs on with the audio after its last picture, and a rate over it
 * reads 29.9 for a 30 fps source. The variant's rate is the highest of its segments of at least {@link #LONG_MILLIS} (a
 * segment with pictures missing, as a killed publisher leaves them, does not lower it); where it has none that long, the
 * rate over all its segments together. FLV keeps timestamps in milliseconds, so a span is known to about a millisecond: a
 * rate within that of a standard one (an integer rate, or an NTSC rate such as 30000/1001) is that rate; any other (a
 * variable-rate phone, frames missing throughout) is written as measured. Rounded to three decimals, as RFC 8216 writes
 * it.
 */
final class FrameRate {
    /** The NTSC family: n × 1000/1001. */
    private static final int[] NTSC = {12, 15, 24, 30, 48, 60, 120, 240};
    /** How far a span's two ends may each be off, in milliseconds: rounded to the millisecond. */
    private static final double END_ERROR_MILLIS = 0.5;
    /** A segment whose frames span this long tells 29.97 from 30 on its own (millisecond timestamps). */
    static final long LONG_MILLIS = 2000;

    private FrameRate() {
    }

    /** Collects the segments' frame intervals and spans. */
    static final class Measure {
        private long intervals;
        private long spanMillis;
        private int spans;
        private double longest = Double.NaN;

        void add(Manifest.SegmentEntry s) {
            if (s.videoSpanMillis != null && s.videoSpanMillis > 0 && s.videoFrames >= 2) {
                intervals += s.videoFrames - 1;
                spanMillis += s.videoSpanMillis;
                spans++;
                if (s.videoSpanMillis >= LONG_MILLIS) {
                    double rate = nominal(s.videoFrames - 1, s.videoSpanMillis, 1);
                    longest = Double.isNaN(longest) ? rate : Math.max(longest, rate);
                }
            }
        }

        /**
         * The rate; {@code frames} over {@code millis} (the segments' durations) where no segment kept its span (a
         * manifest saved before spans were kept).
         */
        double frameRate(long frames, long millis) {
            if (!Double.isNaN(longest)) {
                return longest;
            }
            if (spanMillis > 0) {
                return nominal(intervals, spanMillis, spans);
            }
            return millis == 0 ? 0 : round(frames * 1000.0 / millis);
        }
    }

    /**
     * {@code intervals} frame intervals over {@code spanMillis}, measured on {@code spans} spans: the standard rate
     * nearest to it where that is within the spans' error, the measured rate otherwise; three decimals.
     */
    static double nominal(long intervals, long spanMillis, int spans) {
        double measured = intervals * 1000.0 / spanMillis;
        double tolerance = measured * (2 * END_ERROR_MILLIS * spans) / spanMillis;
        double best = Double.NaN;
        for (int n = 1; n <= 240; n++) {
            best = closer(measured, best, n);
        }
        for (int n : NTSC) {
            best = closer(measured, best, n * 1000.0 / 1001);
        }
        return round(Math.abs(best - measured) <= tolerance ? best : measured);
    }

    private static double closer(double measured, double best, double candidate) {
        return Double.isNaN(best) || Math.abs(candidate - measured) < Math.abs(best - measured) ? candidate : best;
    }

    private static double round(double rate) {
        return Math.round(rate * 1000.0) / 1000.0;
    }
}
