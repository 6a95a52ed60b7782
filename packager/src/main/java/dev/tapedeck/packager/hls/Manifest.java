package dev.tapedeck.packager.hls;

import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
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
    /** When the source rendition closed for good; the other renditions have the rendition timeout from then to close. */
    public Instant sourceClosedAt;
    /** READY or DEGRADED once the replay was declared complete; it never goes back to LIVE (but see {@link RenditionState#closedLastSeq}). */
    public String finalStatus;
    /** How its segments are written (the deployment's setting when the recording began); null in older manifests: TS. */
    public dev.tapedeck.packager.media.SegmentFormat segmentFormat;
    public Map<String, RenditionState> renditions = new LinkedHashMap<>();
    /** The status last written to the catalog, and why when it is not plainly LIVE or READY. */
    public String status;
    public String message;
    /** The version of the catalog entry last written: each entry's is greater (see {@code CatalogEntry.version}). */
    public long catalogVersion;
    /** The poster's object key once written (from the source's first thumbnail picture). */
    public String poster;
    /** The thumbnail track's object key once written (when the replay is complete). */
    public String thumbnailTrack;
    /** The source's thumbnails in stream time order: each picture's time and place in its slice's sprite sheet. */
    public java.util.List<Thumbnail> thumbnails = new java.util.ArrayList<>();
    /** The source slice whose keyframes were looked at last, and its last keyframe time: the next slice goes on from there. */
    public long thumbnailSlice = -1;
    public long thumbnailLastKeyframeMillis;

    /**
     * Where the source's timestamps started over (a publisher back within the reconnect window starts at 0 again): from
     * then on its segments are moved by {@code offsetMillis}, so that they continue the ones before it, and every rung's
     * part of the same time (by wall clock) is moved by the same amount. A replay's timestamps then never run backwards.
     */
    public java.util.List<Shift> shifts = new java.util.ArrayList<>();

    /** One shift of the recording's timeline: from the source's slice {@code sourceSeq}, first packet at {@code from}. */
    public static class Shift {
        public long sourceSeq;
        public Instant from;
        public long offsetMillis;
    }

    /** One thumbnail: stream time of its picture and its region in a sprite sheet. */
    public static class Thumbnail {
        public long startMillis;
        public long slice;
        /** The sheet, as the thumbnail track refers to it: {@code sprites/000003.jpg}. */
        public String sprite;
        public int x;
        public int y;
        public int width;
        public int height;
    }

    /** One rendition's packaged media. */
    public static class RenditionState {
        public int width;
        public int height;
        public String codecs;
        /**
         * EXT-X-TARGETDURATION of its media playlist in seconds, fixed when its first segments were packaged (the segment
         * duration plus the keyframe interval seen then, rounded up); 0 in manifests from before it was kept.
         */
        public int targetDuration;
        /** Segments whose duration, rounded, exceeded the target (keyframes further apart than at the start). */
        public int overTarget;
        /** Slices already packaged or given up as gaps, in ascending order (redeliveries are skipped). */
        public List<Long> slices = new ArrayList<>();
        public List<SegmentEntry> segments = new ArrayList<>();
        /** True once RecordingClosed was seen. */
        public boolean closed;
        /** The last slice its RecordingClosed named; a later slice reopens the rendition (a republish within the reconnect window). */
        public long closedLastSeq = -1;
        /** Why the rendition was left out of the replay (it did not close in time), or null. */
        public String dropped;
        /**
         * How much later than the source's this rung's first packaged frame is (its worker joined the source late), in
         * stream time; null for the source, and for a rung that starts with it.
         */
        public Long startsAfterSourceMillis;
        /**
         * The source's segments its playlist lists as {@code EXT-X-GAP} segments where it has none of its own, so that
         * segment N starts at the same media time in every rendition: before its first segment (its worker joined late),
         * in a hole (a lost slice, a worker started again) and after its last (it ended before the source). Each says
         * which own segment it follows ({@link SegmentEntry#follows}: -1 before the first). Empty for the source.
         */
        public List<SegmentEntry> gapSegments = new ArrayList<>();
        /**
         * Own segments left out of its playlist: a segment that began between two of the source's segment starts (its
         * worker joined mid-segment), covered by the gap of the source's segment there.
         */
        public List<Long> skippedSegments = new ArrayList<>();
        /**
         * The last this many of {@link #segments} are not yet placed on the source's timeline: its playlist lists them
         * once the source's segments reach their start (a rung lane may run ahead of the source's).
         */
        public int unplaced;
        /** Stream time where what is placed of it ends (own segments and gaps); null before anything is. */
        public Long placedEndMillis;
        /**
         * It closed before the source did: its playlist stays {@code EVENT} until the source has closed and the source's
         * segments after its end are added as gaps, then it is {@code VOD}.
         */
        public boolean awaitingSourceEnd;
        /** Fragmented MP4: its initialization sections by name ({@code init.mp4}), with their SHA-256. */
        public Map<String, String> initSha256 = new LinkedHashMap<>();
        /** Every packaged slice, as the recorder announced it: the integrity record of what the replay is made of. */
        public List<SliceRecord> sliceRecords = new ArrayList<>();
        /** Every close of the rendition (a republished source closes once per part), in the order they came. */
        public List<CloseRecord> closes = new ArrayList<>();
        /** Slices that came before an earlier one: packaged once it arrives or the order wait is over, in sequence. */
        public List<SliceStored> waiting = new ArrayList<>();
        /** Since when something of this rendition waits for an earlier slice. */
        public Instant waitingSince;
        /** A close that named a slice not handled yet. */
        public RecordingClosed closeWaiting;
        /** Slices that came after their place was given up as a gap (left out). */
        public int lateSlices;
        /** The next packaged segment follows a slice that could not be packaged. */
        public boolean pendingDiscontinuity;
        /** Added to the timestamps of its slices from its last discontinuity on (see {@link Manifest#shifts}). */
        public long offsetMillis;
        /** Where its last packaged packet of any stream ends, on the recording's timeline; null before one is (or in older manifests). */
        public Long mediaEndMillis;
        /** Why the first slice that could not be packaged could not, if one could not. */
        public String problem;
        /** Slices that could not be packaged (missing, checksum mismatch, undecodable), in the order they came. */
        public List<Gap> gaps = new ArrayList<>();

        /** True when slice {@code seq} is packaged or a gap. */
        public boolean handled(long seq) {
            return java.util.Collections.binarySearch(slices, seq) >= 0;
        }

        /** The slice that is due next: one after the highest handled, or -1 when none is. */
        public long nextSeq() {
            return slices.isEmpty() ? -1 : slices.get(slices.size() - 1) + 1;
        }

        public long durationMillis() {
            return segments.stream().mapToLong(s -> s.durationMillis).sum();
        }

        /** The own segments its playlist lists: those placed, but the skipped ones. */
        public List<SegmentEntry> listedSegments() {
            return segments.subList(0, Math.max(0, segments.size() - unplaced)).stream()
                    .filter(s -> !skippedSegments.contains(s.index)).toList();
        }
    }

    /** One segment in a media playlist. */
    public static class SegmentEntry {
        public long index;
        public long slice;
        public long firstDtsMillis;
        /**
         * Presentation time (PTS) of its first video keyframe in stream time: where it begins on the recording's timeline.
         * Renditions are aligned by it, never by DTS (a source with B-frames decodes ahead of a rung without them). Null
         * in a manifest saved before it was kept: {@link #start()} then takes the DTS.
         */
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        public Long startMillis;
        /** Wall-clock time of its first packet (its slice's first packet time plus the stream time between); null when the recorder did not say. */
        public Instant programDateTime;
        public long durationMillis;
        public long bytes;
        public int videoFrames;
        /**
         * From its first video frame's DTS to its last's (the frame rate is measured on it, not on the duration, which runs
         * on with the audio after the last frame); null in a manifest saved before it was kept.
         */
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        public Long videoSpanMillis;
        /** A gap precedes this segment (a slice was lost or could not be packaged). */
        public boolean discontinuity;
        /** Fragmented MP4: the initialization section it needs ({@code init.mp4}, beside it); null for MPEG-TS. */
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        public String map;
        /** A gap segment (a copy of the source's): the own segment it follows, -1 before the first; null for an own segment. */
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        public Long follows;

        /** Where it begins on the recording's timeline: {@link #startMillis}, or its first DTS where that was not kept. */
        public long start() {
            return startMillis != null ? startMillis : firstDtsMillis;
        }

        /** Where it ends on the recording's timeline. */
        public long end() {
            return start() + durationMillis;
        }
    }

    /** A packaged slice: where it came from and what the recorder says of it. */
    public static class SliceRecord {
        public long seq;
        public String objectKey;
        /** Wall-clock time its first packet reached the recorder. */
        public Instant firstPacketAt;
        public String sha256;
        public long bytes;
        public long firstDtsMillis;
        public long durationMillis;
        public Instant storedAt;
        public boolean discontinuity;
        /** {@code RESUMED}, {@code REPUBLISHED} … (SliceMedia), null when it continues the previous slice. */
        public String discontinuityCause;
        /** Timestamp faults the recorder corrected in it, by kind. */
        public Map<String, Integer> timestampFaults = new LinkedHashMap<>();
    }

    /** A RecordingClosed the rendition received. */
    public static class CloseRecord {
        public String reason;
        public long lastSeq;
        public Instant closedAt;
        public String message;
        /** The gaps and timestamp corrections the recorder reported with it. */
        public int gaps;
        public Map<String, Integer> timestampFaults = new LinkedHashMap<>();
        /** Which close reasons ended the input in that part, in order (the ends it was opened again after, then the last). */
        public List<RecordingClosed.Ending> endings = new ArrayList<>();
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
