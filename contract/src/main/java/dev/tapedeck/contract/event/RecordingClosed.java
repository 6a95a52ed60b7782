package dev.tapedeck.contract.event;

import java.time.Instant;

/**
 * A rendition's recording ended; no slice will follow. Keyed {@code recordingId/rendition} on
 * {@code tapedeck.slices}, so it arrives after the rendition's last SliceStored.
 *
 * @param recordingId {@code 0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10}
 * @param streamKey   the source's streamKey
 * @param rendition   {@code source}
 * @param lastSeq     the last slice's seq, -1 when nothing was recorded
 * @param slices      number of slices stored
 * @param durationMillis media time recorded
 * @param reason      why it closed
 * @param message     detail for a failure, else null
 * @param closedAt    when it closed
 */
public record RecordingClosed(
        String recordingId,
        String streamKey,
        String rendition,
        long lastSeq,
        long slices,
        long durationMillis,
        Reason reason,
        String message,
        Instant closedAt) implements TapedeckEvent {

    /** Why a recording closed. */
    public enum Reason {
        /** The media server reported the end of the publish. */
        UNPUBLISHED,
        /** The stream ended without an unpublish event (the pull saw end of input). */
        END_OF_INPUT,
        /** The recorder is shutting down and finished what it had. */
        SHUTDOWN,
        /** Recording failed; {@code message} says why. */
        FAILED
    }

    @Override
    public String subject() {
        return streamKey;
    }
}
