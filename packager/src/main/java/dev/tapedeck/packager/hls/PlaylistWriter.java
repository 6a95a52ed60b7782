package dev.tapedeck.packager.hls;

import dev.tapedeck.contract.StorageKeys;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Renders HLS media and master playlists. Pure logic: the same manifest gives the same text. */
public final class PlaylistWriter {
    private PlaylistWriter() {
    }

    /** A media playlist: {@code EVENT} while live, {@code VOD} with {@code #EXT-X-ENDLIST} once closed. */
    public static String media(Manifest.RenditionState r) {
        long maxMillis = r.segments.stream().mapToLong(s -> s.durationMillis).max().orElse(0);
        StringBuilder b = new StringBuilder();
        b.append("#EXTM3U\n");
        b.append("#EXT-X-VERSION:3\n");
        b.append("#EXT-X-TARGETDURATION:").append(Math.max(1, (maxMillis + 999) / 1000)).append('\n');
        b.append("#EXT-X-MEDIA-SEQUENCE:0\n");
        b.append("#EXT-X-PLAYLIST-TYPE:").append(r.closed ? "VOD" : "EVENT").append('\n');
        for (Manifest.SegmentEntry s : r.segments) {
            if (s.discontinuity) {
                b.append("#EXT-X-DISCONTINUITY\n");
            }
            b.append(String.format(Locale.ROOT, "#EXTINF:%.3f,%n", s.durationMillis / 1000.0));
            b.append(StorageKeys.segmentName(s.index)).append('\n');
        }
        if (r.closed) {
            b.append("#EXT-X-ENDLIST\n");
        }
        return b.toString();
    }

    /** The master playlist: one variant per rendition with segments, highest bandwidth first. */
    public static String master(Manifest m) {
        StringBuilder b = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-INDEPENDENT-SEGMENTS\n");
        List<Variant> variants = variants(m);
        for (Variant v : variants) {
            b.append("#EXT-X-STREAM-INF:BANDWIDTH=").append(v.bandwidth)
                    .append(",AVERAGE-BANDWIDTH=").append(v.averageBandwidth)
                    .append(",CODECS=\"").append(v.codecs).append('"');
            if (v.width > 0) {
                b.append(",RESOLUTION=").append(v.width).append('x').append(v.height);
                b.append(String.format(Locale.ROOT, ",FRAME-RATE=%.3f", v.frameRate));
            }
            b.append('\n').append(v.name).append("/index.m3u8\n");
        }
        return b.toString();
    }

    /** A rendition's figures, measured from its segments. */
    public record Variant(String name, int width, int height, String codecs, long bandwidth, long averageBandwidth,
            double frameRate, int segments, long durationMillis) {
    }

    /** The renditions that have segments and were not dropped, highest bandwidth first. */
    public static List<Variant> variants(Manifest m) {
        return m.renditions.entrySet().stream()
                .filter(e -> !e.getValue().segments.isEmpty() && e.getValue().dropped == null)
                .map(e -> variant(e.getKey(), e.getValue()))
                .sorted(Comparator.comparingLong(Variant::bandwidth).reversed())
                .toList();
    }

    static Variant variant(String name, Manifest.RenditionState r) {
        long peak = 0;
        long bytes = 0;
        long millis = 0;
        long frames = 0;
        for (Manifest.SegmentEntry s : r.segments) {
            bytes += s.bytes;
            millis += s.durationMillis;
            frames += s.videoFrames;
            // Peak over segments of at least half a second: a tiny tail segment says nothing about the rate.
            if (s.durationMillis >= 500) {
                peak = Math.max(peak, s.bytes * 8000 / s.durationMillis);
            }
        }
        long average = millis == 0 ? 0 : bytes * 8000 / millis;
        double fps = millis == 0 ? 0 : Math.round(frames * 1000.0 / millis * 1000.0) / 1000.0;
        return new Variant(name, r.width, r.height, r.codecs, Math.max(peak, average), average, fps, r.segments.size(), millis);
    }
}
