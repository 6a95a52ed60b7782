package dev.tapedeck.contract.event;

import java.time.Instant;
import java.util.List;

/**
 * The catalog's view of one recording, keyed by recordingId on the compacted {@code tapedeck.vods}.
 *
 * @param recordingId    {@code 0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10}
 * @param streamKey      {@code __defaultVhost__/live/demo}
 * @param app            {@code live}
 * @param stream         {@code demo}
 * @param status         LIVE while slices arrive, READY once every rendition is closed, DEGRADED when closed with
 *                       a part missing or damaged (the rest plays; {@code message} says which), FAILED with nothing
 * @param startedAt      when the first packaged media was recorded (publish time)
 * @param endedAt        when the recording closed, null while live
 * @param durationMillis packaged media duration (sum of the source's segment durations)
 * @param masterPlaylist object key of the master playlist, {@code vod/{recordingId}/master.m3u8}
 * @param renditions     the packaged renditions, highest bandwidth first
 * @param message        why a recording FAILED or is DEGRADED, else null
 * @param updatedAt      when this entry was written
 * @param manifest       object key of the recording's manifest, its integrity report:
 *                       {@code vod/{recordingId}/manifest.json}; null from packagers before it was added
 * @param poster         object key of the recording's poster, {@code vod/{recordingId}/poster.jpg}, once there is
 *                       one; null before (and from packagers before it was added)
 * @param thumbnails     object key of the WebVTT thumbnail track, {@code vod/{recordingId}/thumbnails.vtt}, once the
 *                       replay is complete; null before
 * @param bytes          the replay's size: every rendition's segments together
 * @param gaps           the source's gaps: parts of its time with no media (a hole, a segment that could not be made)
 * @param discontinuities the source's discontinuities: where its media restarts (a republish, a takeover)
 * @param version        grows with every entry the packager writes for this recording (at least its write time in
 *                       microseconds since the epoch), so that of two entries the newer wins wherever they meet; 0 from
 *                       packagers before it was added (then {@code updatedAt} is the version)
 */
public record CatalogEntry(
        String recordingId,
        String streamKey,
        String app,
        String stream,
        Status status,
        Instant startedAt,
        Instant endedAt,
        long durationMillis,
        String masterPlaylist,
        List<Rendition> renditions,
        String message,
        Instant updatedAt,
        String manifest,
        String poster,
        String thumbnails,
        long bytes,
        int gaps,
        int discontinuities,
        long version) implements TapedeckEvent {

    public CatalogEntry {
        renditions = renditions == null ? List.of() : List.copyOf(renditions);
    }

    /** Without sizes, counts and version (older packagers, tests). */
    public CatalogEntry(String recordingId, String streamKey, String app, String stream, Status status, Instant startedAt,
            Instant endedAt, long durationMillis, String masterPlaylist, List<Rendition> renditions, String message, Instant updatedAt,
            String manifest, String poster, String thumbnails) {
        this(recordingId, streamKey, app, stream, status, startedAt, endedAt, durationMillis, masterPlaylist, renditions, message,
                updatedAt, manifest, poster, thumbnails, 0, 0, 0, 0);
    }

    /** The version that orders this entry against others of its recording: {@link #version}, else {@link #updatedAt}'s. */
    public long effectiveVersion() {
        if (version > 0) {
            return version;
        }
        return updatedAt == null ? 0 : updatedAt.getEpochSecond() * 1_000_000 + updatedAt.getNano() / 1_000;
    }

    /** Without pictures (older packagers, tests). */
    public CatalogEntry(String recordingId, String streamKey, String app, String stream, Status status, Instant startedAt,
            Instant endedAt, long durationMillis, String masterPlaylist, List<Rendition> renditions, String message, Instant updatedAt,
            String manifest) {
        this(recordingId, streamKey, app, stream, status, startedAt, endedAt, durationMillis, masterPlaylist, renditions, message,
                updatedAt, manifest, null, null);
    }

    /** Without the manifest's key (older packagers, tests). */
    public CatalogEntry(String recordingId, String streamKey, String app, String stream, Status status, Instant startedAt,
            Instant endedAt, long durationMillis, String masterPlaylist, List<Rendition> renditions, String message, Instant updatedAt) {
        this(recordingId, streamKey, app, stream, status, startedAt, endedAt, durationMillis, masterPlaylist, renditions, message,
                updatedAt, null);
    }

    /** A recording's lifecycle in the catalog. */
    public enum Status { LIVE, READY, DEGRADED, FAILED, DELETED }

    /**
     * One packaged rendition.
     *
     * @param name             {@code source}, {@code 720p}
     * @param playlist         object key of its media playlist
     * @param width            1280
     * @param height           720
     * @param frameRate        29.97
     * @param bandwidth        peak segment bitrate, bits/s
     * @param averageBandwidth mean bitrate, bits/s
     * @param codecs           RFC 6381 codecs, {@code avc1.64001f,mp4a.40.2}
     * @param segments         number of segments
     * @param durationMillis   sum of the segment durations
     */
    public record Rendition(
            String name,
            String playlist,
            int width,
            int height,
            double frameRate,
            long bandwidth,
            long averageBandwidth,
            String codecs,
            int segments,
            long durationMillis) {
    }

    @Override
    public String subject() {
        return streamKey;
    }
}
