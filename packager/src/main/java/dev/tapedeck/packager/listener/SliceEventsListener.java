package dev.tapedeck.packager.listener;

import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.packager.service.PackagerService;
import dev.tapedeck.packager.service.RecordingLanes;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/**
 * Slice events from {@code tapedeck.slices}, in order per recording and rendition. Each goes to its rendition's
 * lane; the consumer does not wait for it, so a recording waiting out a storage outage holds up no other.
 */
@ApplicationScoped
public class SliceEventsListener {
    private final PackagerService packager;
    private final RecordingLanes lanes;

    SliceEventsListener(PackagerService packager, RecordingLanes lanes) {
        this.packager = packager;
        this.lanes = lanes;
    }

    @Incoming("slices")
    public CompletionStage<Void> onEvent(Message<CloudEvent<?>> message) {
        CloudEvent<?> event = message.getPayload();
        if (event != null && event.data() instanceof SliceStored slice) {
            return LaneDispatch.dispatch(lanes, message, slice.recordingId(), PackagerService.lane(slice.recordingId(), slice.rendition()),
                    "slice " + slice.seq(),
                    () -> packager.onSlice(slice), () -> packager.settled(slice.recordingId()));
        }
        if (event != null && event.data() instanceof RecordingClosed closed) {
            return LaneDispatch.dispatch(lanes, message, closed.recordingId(), PackagerService.lane(closed.recordingId(), closed.rendition()),
                    "close",
                    () -> packager.onClosed(closed), () -> packager.settled(closed.recordingId()));
        }
        return message.ack();
    }
}
