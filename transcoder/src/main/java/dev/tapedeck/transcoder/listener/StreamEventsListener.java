package dev.tapedeck.transcoder.listener;

import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.transcoder.service.ControllerService;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * Source publishes from {@code tapedeck.streams} start workers. An unpublish only tells the launcher that the
 * session is over (a worker dying now is not started again): the worker sees the end of its input and exits,
 * and the Job is removed after its TTL.
 */
@ApplicationScoped
public class StreamEventsListener {
    private final ControllerService controller;

    StreamEventsListener(ControllerService controller) {
        this.controller = controller;
    }

    @Incoming("streams")
    @Blocking
    public void onEvent(CloudEvent<?> event) {
        if (event != null && event.data() instanceof StreamPublished published) {
            controller.onPublished(published);
        } else if (event != null && event.data() instanceof StreamUnpublished unpublished) {
            controller.onUnpublished(unpublished);
        }
    }
}
