package dev.tapedeck.contract;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A simulcast ladder: the rungs the transcoder derives from a source. Parsed from
 * {@code 720p:2800k,480p:1400k,360p:800k}; fitted to a source by {@link #forSource(int, int)}.
 */
public record Ladder(List<Rung> rungs) {

    private static final Pattern RUNG = Pattern.compile("(\\d{2,4})p:(\\d+)k");

    /** The default ladder: 720p at 2800 kbit/s, 480p at 1400, 360p at 800. */
    public static final Ladder DEFAULT = parse("720p:2800k,480p:1400k,360p:800k");

    public Ladder {
        rungs = rungs.stream().sorted(Comparator.comparingInt(Rung::height).reversed()).toList();
    }

    /**
     * One rung of the ladder.
     *
     * @param height      target height in pixels, 720
     * @param videoKbps   H.264 target bitrate, 2800
     */
    public record Rung(int height, int videoKbps) {
        public Rung {
            if (height < 16 || height > 4320 || height % 2 != 0) {
                throw new IllegalArgumentException("rung height must be even and between 16 and 4320, got " + height);
            }
            if (videoKbps < 16) {
                throw new IllegalArgumentException("rung bitrate must be at least 16 kbit/s, got " + videoKbps);
            }
        }

        /** {@code 720p} */
        public String name() {
            return height + "p";
        }
    }

    /**
     * A rung fitted to a source: what the worker encodes and publishes.
     *
     * @param name      {@code 720p}
     * @param width     even width keeping the source's aspect ratio, 1280
     * @param height    720
     * @param videoKbps 2800
     */
    public record Output(String name, int width, int height, int videoKbps) {
    }

    /** Parses {@code 720p:2800k,480p:1400k}; a malformed entry fails with the entry named. */
    public static Ladder parse(String spec) {
        List<Rung> rungs = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.strip().toLowerCase(Locale.ROOT);
            Matcher m = RUNG.matcher(p);
            if (!m.matches()) {
                throw new IllegalArgumentException("ladder entry '" + part.strip() + "' is not like 720p:2800k");
            }
            rungs.add(new Rung(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))));
        }
        if (rungs.isEmpty()) {
            throw new IllegalArgumentException("a ladder needs at least one rung");
        }
        if (rungs.stream().map(Rung::height).distinct().count() != rungs.size()) {
            throw new IllegalArgumentException("ladder '" + spec + "' repeats a height");
        }
        return new Ladder(rungs);
    }

    /**
     * The rungs below the source's height (never upscaled: a rung as tall as the source would only
     * re-encode the passthrough), each with an even width that keeps the source's aspect ratio.
     */
    public List<Output> forSource(int sourceWidth, int sourceHeight) {
        if (sourceWidth <= 0 || sourceHeight <= 0) {
            throw new IllegalArgumentException("source size must be positive, got " + sourceWidth + "x" + sourceHeight);
        }
        return rungs.stream()
                .filter(r -> r.height() < sourceHeight)
                .map(r -> new Output(r.name(), even((double) sourceWidth * r.height() / sourceHeight), r.height(), r.videoKbps()))
                .toList();
    }

    /** The spec this ladder parses from. */
    @Override
    public String toString() {
        return String.join(",", rungs.stream().map(r -> r.name() + ":" + r.videoKbps() + "k").toList());
    }

    private static int even(double v) {
        int n = (int) Math.round(v / 2.0) * 2;
        return Math.max(2, n);
    }
}
