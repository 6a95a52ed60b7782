package dev.tapedeck.contract.event;

import java.time.Instant;

/**
 * A rendition's recording ended; no slice follows unless its source is republished within the reconnect window:
 * the new session's slices then continue the sequence after a {@code REPUBLISHED} gap (the recording is open
 * again), and another RecordingClosed ends it. Only an end ({@link Reason#isFinal()}) is ever
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
 * @param gaps        the gaps this recorder saw in the rendition, in order (a takeover, a reconnect, a timestamp
 *                    fault, a codec change, a slice kept out of the bucket)
 * @param timestampFaults timestamp faults corrected in the rendition, by kind ({@code ROLLBACK}, {@code FORWARD_JUMP},
 *                    {@code WRAP})
 * @param endings     which close reasons ended the rendition's input in this session, in order: each end after which
 *                    the input was opened again ({@link Ending#reopened()}: the connection closed or a read failed
 *                    without an unpublish), then the one that closed it ({@code reason}); empty from older recorders
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
        Instant closedAt,
        java.util.List<Gap> gaps,
        java.util.Map<String, Integer> timestampFaults,
        java.util.List<Ending> endings) implements TapedeckEvent {

    public RecordingClosed {
        gaps = gaps == null ? java.util.List.of() : java.util.List.copyOf(gaps);
        timestampFaults = timestampFaults == null ? java.util.Map.of() : java.util.Map.copyOf(timestampFaults);
        endings = endings == null ? java.util.List.of() : java.util.List.copyOf(endings);
    }

    /** Without the input's endings (older recorders, tests). */
    public RecordingClosed(String recordingId, String streamKey, String rendition, long lastSeq, long slices, long durationMillis,
            Reason reason, String message, Instant closedAt, java.util.List<Gap> gaps, java.util.Map<String, Integer> timestampFaults) {
        this(recordingId, streamKey, rendition, lastSeq, slices, durationMillis, reason, message, closedAt, gaps, timestampFaults, null);
    }

    /** Without gaps and corrections (older recorders, tests). */
    public RecordingClosed(String recordingId, String streamKey, String rendition, long lastSeq, long slices, long durationMillis,
            Reason reason, String message, Instant closedAt) {
        this(recordingId, streamKey, rendition, lastSeq, slices, durationMillis, reason, message, closedAt, null, null, null);
    }

    /**
     * One end of the rendition's input.
     *
     * @param reason   {@code END_OF_INPUT} (the connection closed), {@code FAILED} (a read failed or the media server could
     *                 not be reached), {@code UNPUBLISHED}, {@code IDLE_TIMEOUT}
     * @param reopened true when the input was opened again after it (no unpublish had come); false for the last
     * @param at       wall clock of the end
     * @param afterSeq the last slice finished before it, -1 when none
     * @param detail   the error that ended it, else null
     * @param count    how many times in a row the input ended so, with no slice between (a media server that cannot
     *                 be reached fails every attempt); {@code at} is the last of them
     */
    public record Ending(Reason reason, boolean reopened, Instant at, long afterSeq, String detail, int count) {
    }

    /**
     * A place where the rendition does not continue: before slice {@code seq}.
     *
     * @param seq            the first slice after the gap, 4
     * @param fromDtsMillis  where the stream time before it ended (the previous slice's end), 40000; -1 when unknown
     * @param toDtsMillis    the first DTS after it, 40033
     * @param fromTime       wall clock when the media before it ended (the previous slice was finished or stored)
     * @param toTime         wall clock when the first packet after it arrived
     * @param cause          as {@link SliceMedia#discontinuityCause()}: {@code RESUMED}, {@code RECONNECTED} …
     */
    public record Gap(long seq, long fromDtsMillis, long toDtsMillis, Instant fromTime, Instant toTime, String cause) {
    }

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
