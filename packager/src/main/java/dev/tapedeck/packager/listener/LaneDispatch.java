package dev.tapedeck.packager.listener;

import dev.tapedeck.packager.service.RecordingLanes;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.jboss.logging.Logger;

/**
 * Hands a consumed event to its lane (a rendition of a recording) and acknowledges it once handled, so its offset is committed only
 * then (throttled commits follow the acknowledgements, in any order). The consumer goes on with the next event at
 * once, unless too many are in flight.
 */
final class LaneDispatch {
    private static final Logger LOG = Logger.getLogger(LaneDispatch.class);

    private LaneDispatch() {
    }

    /**
     * Acknowledges only once {@code settled} completes too (asked after the step): once the recording's manifest is saved
     * with what the step did, and, for a slice or a close, once nothing of the recording waits on a timer (a close that
     * leaves its recording waiting for its other renditions is delivered again after a restart, which restarts their
     * timeout).
     */
    static CompletionStage<Void> dispatch(RecordingLanes lanes, Message<?> message, String recordingId, String lane, String what,
            Runnable step, Supplier<CompletionStage<Void>> settled) {
        RecordingLanes.Submitted submitted = lanes.submit(lane, what, step);
        submitted.done().whenComplete((v, e) -> {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            if (cause instanceof RejectedExecutionException) {
                // Shutting down: left unacknowledged, the event is delivered again to whoever takes over.
                return;
            }
            if (cause != null) {
                LOG.errorf(cause, "%s of recording %s failed and is skipped", what, recordingId);
                message.ack();
                return;
            }
            settled.get().thenRun(message::ack);
        });
        return submitted.admitted();
    }
}
