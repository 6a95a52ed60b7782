package dev.tapedeck.packager.hls;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The packager's durable state of one recording, stored as {@code vod/{recordingId}/manifest.json}:
 * which slices are packaged into which segments, per rendition. Playlists are rendered from it.
 */
public class Manifest {
    public String recordingId;
    public String streamKey;
    public String app;
    public String stream;
    public Instant startedAt;
    public Instant endedAt;
    public Map<String, RenditionState> renditions = new LinkedHashMap<>();

    /** One rendition's packaged media. */
    public static class RenditionState {
        public int width;
        public int height;
        public String codecs;
        /** Slices already packaged (redeliveries are skipped). */
        public List<Long> slices = new ArrayList<>();
        public List<SegmentEntry> segments = new ArrayList<>();
        /** True once RecordingClosed was seen. */
        public boolean closed;
        /** The last slice its RecordingClosed named; a later slice reopens the rendition (a republish within the reconnect window). */
        public long closedLastSeq = -1;
        /** The next packaged segment follows a slice that could not be packaged. */
        public boolean pendingDiscontinuity;
        /** Why the first slice that could not be packaged could not, if one could not. */
        public String problem;
        /** Slices that could not be packaged (missing, checksum mismatch, undecodable), in the order they came. */
        public List<Gap> gaps = new ArrayList<>();

        public long durationMillis() {
            return segments.stream().mapToLong(s -> s.durationMillis).sum();
        }
    }

    /** One segment in a media playlist. */
    public static class SegmentEntry {
        public long index;
        public long slice;
        public long firstDtsMillis;
        public long durationMillis;
        public long bytes;
        public int videoFrames;
        /** A gap precedes this segment (a slice was lost or could not be packaged). */
        public boolean discontinuity;
    }

    /** A slice that is not in the replay, and why. */
    public static class Gap {
        public long slice;
        /** Stream time the slice covered. */
        public long firstDtsMillis;
        public long durationMillis;
        /** When the recorder stored it. */
        public Instant storedAt;
        /** {@code missing}, {@code checksum} or {@code undecodable}. */
        public String cause;
        public String detail;
    }
}
