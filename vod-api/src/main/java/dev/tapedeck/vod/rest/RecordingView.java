package dev.tapedeck.vod.rest;

import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.vod.catalog.CatalogIndex;
import java.time.Instant;
import java.util.List;

/**
 * A recording as the API shows it.
 *
 * @param id              recordingId
 * @param streamKey       {@code __defaultVhost__/live/demo}
 * @param app             {@code live}
 * @param stream          {@code demo}
 * @param status          LIVE, READY, DEGRADED (ended with a part missing or damaged; the rest plays), FAILED
 * @param startedAt       when it started
 * @param endedAt         when it ended; null while live
 * @param durationSeconds packaged duration so far
 * @param durationMillis  the same in milliseconds
 * @param bytes           the replay's size, every rendition together
 * @param gaps            parts of the source's time with no media
 * @param discontinuities where the source's media restarts (a republish, a takeover)
 * @param playbackUrl     the master playlist, relative to this API: {@code /vod/{id}/master.m3u8}; null when nothing is playable
 * @param renditions      what the master lists
 * @param message         why it FAILED or is DEGRADED, if it is (the status reason)
 * @param manifestUrl     the recording's integrity report (what the replay is made of, what is missing and why),
 *                        relative to this API: {@code /vod/{id}/manifest.json}; null from older packagers
 * @param posterUrl       the poster, {@code /vod/{id}/poster.jpg}, once there is one
 * @param thumbnailsUrl   the WebVTT thumbnail track, {@code /vod/{id}/thumbnails.vtt}, once the replay is complete
 * @param createdAt       when the catalog first listed it
 * @param updatedAt       when the pipeline last changed it
 * @param title           set by PATCH, else null
 * @param tags            set by PATCH, else empty
 * @param passthrough     set by PATCH, else null: the platform's own reference
 */
public record RecordingView(String id, String streamKey, String app, String stream, CatalogEntry.Status status,
        Instant startedAt, Instant endedAt, double durationSeconds, long durationMillis, long bytes, int gaps, int discontinuities,
        String playbackUrl, List<CatalogEntry.Rendition> renditions, String message, String manifestUrl, String posterUrl,
        String thumbnailsUrl, Instant createdAt, Instant updatedAt, String title, List<String> tags, String passthrough) {

    static RecordingView of(CatalogIndex.Row row) {
        CatalogEntry e = row.entry();
        String base = "/vod/" + e.recordingId() + "/";
        return new RecordingView(e.recordingId(), e.streamKey(), e.app(), e.stream(), e.status(), e.startedAt(), e.endedAt(),
                e.durationMillis() / 1000.0, e.durationMillis(), e.bytes(), e.gaps(), e.discontinuities(),
                e.masterPlaylist() == null ? null : base + "master.m3u8",
                e.renditions(), e.message(), e.manifest() == null ? null : base + "manifest.json",
                e.poster() == null ? null : base + "poster.jpg", e.thumbnails() == null ? null : base + "thumbnails.vtt",
                row.createdAt(), e.updatedAt(), row.edits().title(), row.edits().tags(), row.edits().passthrough());
    }
}
