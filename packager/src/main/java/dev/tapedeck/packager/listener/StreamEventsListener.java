package dev.tapedeck.packager.listener;

import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.packager.service.PackagerService;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Publishes from {@code tapedeck.streams}: which renditions a recording will have. */
@ApplicationScoped
public class StreamEventsListener {
    private final PackagerService packager;

    StreamEventsListener(PackagerService packager) {
        this.packager = packager;
    }

    @Incoming("streams")
    @Blocking(ordered = true)
    public void onEvent(CloudEvent<?> event) {
        if (event != null && event.data() instanceof StreamPublished published) {
            packager.onPublished(published);
        }
    }
}
