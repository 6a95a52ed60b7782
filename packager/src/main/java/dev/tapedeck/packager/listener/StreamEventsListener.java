package dev.tapedeck.packager.listener;

import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.packager.service.PackagerService;
import dev.tapedeck.packager.service.RecordingLanes;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.CompletionStage;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;

/** Publishes from {@code tapedeck.streams}: which renditions a recording will have. Handled on the rendition's lane. */
@ApplicationScoped
public class StreamEventsListener {
    private final PackagerService packager;
    private final RecordingLanes lanes;

    StreamEventsListener(PackagerService packager, RecordingLanes lanes) {
        this.packager = packager;
        this.lanes = lanes;
    }

    @Incoming("streams")
    public CompletionStage<Void> onEvent(Message<CloudEvent<?>> message) {
        if (message.getPayload() != null && message.getPayload().data() instanceof StreamPublished published) {
            return LaneDispatch.dispatch(lanes, message, published.recordingId(), PackagerService.lane(published.recordingId(), published.rendition()),
                    "publish",
                    () -> packager.onPublished(published), () -> packager.saved(published.recordingId()));
        }
        return message.ack();
    }
}
