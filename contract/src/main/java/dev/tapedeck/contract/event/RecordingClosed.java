package dev.tapedeck.contract.event;

import java.time.Instant;

/**
 * A rendition's recording ended; no slice will follow. Only an end ({@link Reason#isFinal()}) is ever
 * emitted: a recorder replica that stops (SIGTERM, crash, rebalance) hands its streams over to another
 * and emits nothing that ends the recording. Keyed {@code recordingId/rendition} on
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
        /** The media server reported the end of the publish. Final. */
        UNPUBLISHED(true),
        /** The stream ended without an unpublish event (the pull saw end of input). Final. */
        END_OF_INPUT(true),
        /**
         * A recorder replica stopped. Not an end: the recording continues on another replica. Current
         * recorders never emit it; consumers ignore it when an older recorder did.
         */
        SHUTDOWN(false),
        /** Recording failed; {@code message} says why. Final. */
        FAILED(true),
        /**
         * No media came for the recorder's idle timeout and no unpublish either (the media server died, the network
         * broke, the publisher vanished). Final.
         */
        IDLE_TIMEOUT(true);

        private final boolean isFinal;

        Reason(boolean isFinal) {
            this.isFinal = isFinal;
        }

        /** True when no slice of the rendition follows: the replay may be finished. */
        public boolean isFinal() {
            return isFinal;
        }
    }

    @Override
    public String subject() {
        return streamKey;
    }
}
