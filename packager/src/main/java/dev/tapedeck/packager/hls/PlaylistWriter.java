package dev.tapedeck.packager.hls;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.packager.media.SegmentFormat;
import io.lindstrom.m3u8.model.MasterPlaylist;
import io.lindstrom.m3u8.model.MediaPlaylist;
import io.lindstrom.m3u8.model.MediaSegment;
import io.lindstrom.m3u8.model.PlaylistType;
import io.lindstrom.m3u8.model.Resolution;
import io.lindstrom.m3u8.parser.MasterPlaylistParser;
import io.lindstrom.m3u8.parser.MediaPlaylistParser;
import java.util.Comparator;
import java.util.List;

/**
 * Renders HLS media and master playlists with {@code io.lindstrom:m3u8-parser}, which writes every tag used here.
 * Pure logic: the same manifest gives the same text.
 */
public final class PlaylistWriter {
    private static final MediaPlaylistParser MEDIA = new MediaPlaylistParser();
    private static final MasterPlaylistParser MASTER = new MasterPlaylistParser();

    private PlaylistWriter() {
    }

    /**
     * A media playlist: {@code EVENT} while live, {@code VOD} with {@code #EXT-X-ENDLIST} once closed, at the same URL.
     * Its target duration is the rendition's, fixed when its first segments were packaged (manifests from before it
     * was kept: the longest segment, rounded up).
     */
    public static String media(Manifest.RenditionState r) {
        boolean fmp4 = r.segments.stream().anyMatch(s -> s.map != null);
        MediaPlaylist.Builder b = MediaPlaylist.builder()
                // Fragmented MP4 segments (EXT-X-MAP without I-frames only) need version 6; 7 as Apple lists for CMAF.
                .version(fmp4 ? 7 : 3)
                .targetDuration(targetDuration(r))
                .mediaSequence(0)
                .playlistType(r.closed && !r.awaitingSourceEnd ? PlaylistType.VOD : PlaylistType.EVENT)
                .ongoing(!r.closed || r.awaitingSourceEnd);
        String map = null;
        // A left-out segment's discontinuity (a worker started again, a hole of the source's) goes to the next own segment
        // listed, unless a gap before it has one (the source's): one discontinuity where the source has one, so that every
        // rendition counts the same discontinuity sequence.
        boolean[] discontinuity = {false};
        map = gaps(b, r, -1, map, discontinuity);
        for (Manifest.SegmentEntry s : r.segments.subList(0, Math.max(0, r.segments.size() - r.unplaced))) {
            if (r.skippedSegments.contains(s.index)) {
                discontinuity[0] |= s.discontinuity;
            } else {
                MediaSegment.Builder segment = segment(s, "").discontinuity(s.discontinuity || discontinuity[0]);
                discontinuity[0] = false;
                map = map(segment, s, "", map);
                b.addMediaSegments(segment.build());
            }
            map = gaps(b, r, s.index, map, discontinuity);
        }
        return MEDIA.writePlaylistAsString(b.build());
    }

    /**
     * The gap segments that follow own segment {@code follows}: each is the source's segment at its place, so a player
     * that honours EXT-X-GAP plays another rendition there, and one that does not plays the source's segment, which
     * covers the same time (with the source's initialization section).
     */
    private static String gaps(MediaPlaylist.Builder b, Manifest.RenditionState r, long follows, String map, boolean[] discontinuity) {
        for (Manifest.SegmentEntry s : r.gapSegments) {
            if (s.follows != null && s.follows == follows) {
                MediaSegment.Builder segment = segment(s, SOURCE_DIR).gap(true);
                discontinuity[0] &= !s.discontinuity;
                map = map(segment, s, SOURCE_DIR, map);
                b.addMediaSegments(segment.build());
            }
        }
        return map;
    }

    /** An EXT-X-MAP before a fragmented-MP4 segment whose initialization section is not the one before it. */
    private static String map(MediaSegment.Builder segment, Manifest.SegmentEntry s, String dir, String current) {
        if (s.map == null || (dir + s.map).equals(current)) {
            return current;
        }
        segment.segmentMap(io.lindstrom.m3u8.model.SegmentMap.of(dir + s.map));
        return dir + s.map;
    }

    /** Where a rung's playlist finds the source's segments. */
    static final String SOURCE_DIR = "../source/";

    private static MediaSegment.Builder segment(Manifest.SegmentEntry s, String dir) {
        MediaSegment.Builder segment = MediaSegment.builder()
                .duration(s.durationMillis / 1000.0)
                .uri(dir + StorageKeys.segmentName(s.index, (s.map != null ? SegmentFormat.FMP4 : SegmentFormat.TS).extension()))
                .discontinuity(s.discontinuity);
        if (s.programDateTime != null) {
            // Every segment says when its first frame was live, so a player can seek by wall clock and a gap or a
            // discontinuity never leaves dates to be guessed.
            segment.programDateTime(java.time.OffsetDateTime.ofInstant(s.programDateTime, java.time.ZoneOffset.UTC));
        }
        return segment;
    }

    /** The rendition's fixed target duration, in whole seconds. */
    public static int targetDuration(Manifest.RenditionState r) {
        if (r.targetDuration > 0) {
            return r.targetDuration;
        }
        long maxMillis = r.segments.stream().mapToLong(s -> s.durationMillis).max().orElse(0);
        return (int) Math.max(1, (maxMillis + 999) / 1000);
    }

    /** The master playlist: one variant per rendition with segments, highest bandwidth first. */
    public static String master(Manifest m) {
        MasterPlaylist.Builder b = MasterPlaylist.builder().version(3).independentSegments(true);
        for (Variant v : variants(m)) {
            io.lindstrom.m3u8.model.Variant.Builder variant = io.lindstrom.m3u8.model.Variant.builder()
                    .bandwidth(v.bandwidth)
                    .averageBandwidth(v.averageBandwidth)
                    .uri(v.name + "/index.m3u8");
            if (v.codecs != null && !v.codecs.isBlank()) {
                variant.addCodecs(v.codecs.split(","));
            }
            if (v.width > 0) {
                variant.resolution(Resolution.of(v.width, v.height)).frameRate(v.frameRate);
            }
            b.addVariants(variant.build());
        }
        return MASTER.writePlaylistAsString(b.build());
    }

    /** A rendition's figures, measured from its segments. */
    public record Variant(String name, int width, int height, String codecs, long bandwidth, long averageBandwidth,
            double frameRate, int segments, long durationMillis) {
    }

    /**
     * The renditions that have segments, were not dropped and are placed on the source's timeline (their playlist is
     * written), highest bandwidth first.
     */
    public static List<Variant> variants(Manifest m) {
        return m.renditions.entrySet().stream()
                .filter(e -> e.getValue().dropped == null && !e.getValue().listedSegments().isEmpty())
                .map(e -> variant(e.getKey(), e.getValue()))
                .sorted(Comparator.comparingLong(Variant::bandwidth).reversed())
                .toList();
    }

    static Variant variant(String name, Manifest.RenditionState r) {
        long peak = 0;
        long bytes = 0;
        long millis = 0;
        long frames = 0;
        FrameRate.Measure rate = new FrameRate.Measure();
        for (Manifest.SegmentEntry s : r.listedSegments()) {
            bytes += s.bytes;
            millis += s.durationMillis;
            frames += s.videoFrames;
            rate.add(s);
            // Peak over segments of at least half a second: a tiny tail segment says nothing about the rate.
            if (s.durationMillis >= 500) {
                peak = Math.max(peak, s.bytes * 8000 / s.durationMillis);
            }
        }
        long average = millis == 0 ? 0 : bytes * 8000 / millis;
        double fps = rate.frameRate(frames, millis);
        return new Variant(name, r.width, r.height, r.codecs, Math.max(peak, average), average, fps, r.listedSegments().size(), millis);
    }
}
