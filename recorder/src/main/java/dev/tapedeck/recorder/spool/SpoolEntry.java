package dev.tapedeck.recorder.spool;

import java.time.Instant;

/**
 * A finished slice waiting in the spool for its upload: everything its SliceStored will say except what the
 * upload adds. Written beside the slice file as {@code 000004.json}.
 *
 * @param recordingId    {@code 0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10}
 * @param sessionId      the session whose media it holds
 * @param streamKey      the source's streamKey, {@code __defaultVhost__/live/demo}
 * @param rendition      {@code source}, {@code 480p}
 * @param seq            4
 * @param firstDtsMillis DTS of its first packet
 * @param lastDtsMillis  DTS of its last packet
 * @param durationMillis media time it covers
 * @param keyframes      video keyframes in it
 * @param discontinuity  true when it does not continue the previous slice (a resumed recording)
 * @param gapMillis      for a discontinuity, the wall-clock gap before it
 * @param startedAt      when its first packet arrived
 * @param finishedAt     when the file was complete
 * @param media          what it holds and what was corrected in it (null in sidecars of older recorders)
 */
public record SpoolEntry(
        String recordingId,
        String sessionId,
        String streamKey,
        String rendition,
        long seq,
        long firstDtsMillis,
        long lastDtsMillis,
        long durationMillis,
        int keyframes,
        boolean discontinuity,
        long gapMillis,
        Instant startedAt,
        Instant finishedAt,
        dev.tapedeck.contract.event.SliceMedia media) {

    /** {@code 000004.flv} */
    public String fileName() {
        return "%06d.flv".formatted(seq);
    }

    /** {@code 000004.json} */
    public String metaName() {
        return "%06d.json".formatted(seq);
    }

    /** {@code 0193a1f2-…/source}, for logs. */
    public String renditionPath() {
        return recordingId + "/" + rendition;
    }
}
