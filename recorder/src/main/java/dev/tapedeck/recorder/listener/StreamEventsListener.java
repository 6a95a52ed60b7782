package dev.tapedeck.recorder.listener;

import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.recorder.service.RecorderService;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Lifecycle events from {@code tapedeck.streams} start and stop recordings. */
@ApplicationScoped
public class StreamEventsListener {
    private final RecorderService recorder;

    StreamEventsListener(RecorderService recorder) {
        this.recorder = recorder;
    }

    @Incoming("streams")
    public void onEvent(CloudEvent<?> event) {
        if (event == null) {
            return;
        }
        if (event.data() instanceof StreamPublished published) {
            recorder.onPublished(published);
        } else if (event.data() instanceof StreamUnpublished unpublished) {
            recorder.onUnpublished(unpublished);
        }
    }
}
