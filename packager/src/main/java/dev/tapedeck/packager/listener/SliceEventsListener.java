package dev.tapedeck.packager.listener;

import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.packager.service.PackagerService;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Slice events from {@code tapedeck.slices}, in order per recording and rendition. */
@ApplicationScoped
public class SliceEventsListener {
    private final PackagerService packager;

    SliceEventsListener(PackagerService packager) {
        this.packager = packager;
    }

    @Incoming("slices")
    @Blocking(ordered = true)
    public void onEvent(CloudEvent<?> event) {
        if (event == null) {
            return;
        }
        if (event.data() instanceof SliceStored slice) {
            packager.onSlice(slice);
        } else if (event.data() instanceof RecordingClosed closed) {
            packager.onClosed(closed);
        }
    }
}
