package dev.tapedeck.contract.event;

import java.time.Instant;

/**
 * One finished FLV slice of a rendition is in object storage. Keyed {@code recordingId/rendition} on
 * {@code tapedeck.slices}.
 *
 * @param recordingId    {@code 0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10}
 * @param sessionId      the session whose media this slice holds
 * @param streamKey      the source's streamKey, {@code __defaultVhost__/live/demo}
 * @param rendition      {@code source}
 * @param seq            0-based slice number within the rendition
 * @param objectKey      {@code recordings/live/demo/{recordingId}/source/000000.flv}
 * @param firstDtsMillis DTS of the slice's first packet, in stream time
 * @param lastDtsMillis  DTS of the slice's last packet
 * @param durationMillis media time the slice covers (its end is the next slice's first DTS)
 * @param bytes          object size
 * @param sha256         hex SHA-256 of the object
 * @param keyframes      number of video keyframes in the slice
 * @param discontinuity  true when the slice does not continue the previous one: a reconnect, or a
 *                       recording resumed by another recorder replica (or a restarted one) after a gap
 * @param gapMillis      for a discontinuity, the wall-clock time between the end of the previous stored
 *                       slice (when it was stored) and the first packet of this one, 7400; 0 otherwise
 * @param storedAt       when the upload completed
 * @param media          packet counts, picture size, codecs, the discontinuity's cause and the timestamp faults
 *                       corrected in it; null from recorders before it was added
 * @param firstPacketAt  wall-clock time the slice's first packet reached the recorder,
 *                       {@code 2026-11-21T10:15:30.950Z}: the packager dates segments from it
 *                       ({@code EXT-X-PROGRAM-DATE-TIME}); null from recorders before it was added
 */
public record SliceStored(
        String recordingId,
        String sessionId,
        String streamKey,
        String rendition,
        long seq,
        String objectKey,
        long firstDtsMillis,
        long lastDtsMillis,
        long durationMillis,
        long bytes,
        String sha256,
        int keyframes,
        boolean discontinuity,
        long gapMillis,
        Instant storedAt,
        SliceMedia media,
        Instant firstPacketAt) implements TapedeckEvent {

    /** Without the first packet's wall-clock time (older recorders, tests). */
    public SliceStored(String recordingId, String sessionId, String streamKey, String rendition, long seq, String objectKey,
            long firstDtsMillis, long lastDtsMillis, long durationMillis, long bytes, String sha256, int keyframes,
            boolean discontinuity, long gapMillis, Instant storedAt, SliceMedia media) {
        this(recordingId, sessionId, streamKey, rendition, seq, objectKey, firstDtsMillis, lastDtsMillis, durationMillis, bytes,
                sha256, keyframes, discontinuity, gapMillis, storedAt, media, null);
    }

    /** Without what the slice holds (older recorders, tests). */
    public SliceStored(String recordingId, String sessionId, String streamKey, String rendition, long seq, String objectKey,
            long firstDtsMillis, long lastDtsMillis, long durationMillis, long bytes, String sha256, int keyframes,
            boolean discontinuity, long gapMillis, Instant storedAt) {
        this(recordingId, sessionId, streamKey, rendition, seq, objectKey, firstDtsMillis, lastDtsMillis, durationMillis, bytes,
                sha256, keyframes, discontinuity, gapMillis, storedAt, null);
    }

    @Override
    public String subject() {
        return streamKey;
    }
}
