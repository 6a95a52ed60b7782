package dev.tapedeck.packager.config;

import dev.tapedeck.contract.CutGrid;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Refuses to start when the recorder's slice length, configured here too (one ConfigMap for both services), is not
 * a whole multiple of the segment duration: segments would not line up across slices.
 */
@ApplicationScoped
public class GridCheck {

    void onStart(@Observes StartupEvent ev, PackagerConfig config,
            @ConfigProperty(name = "tapedeck.recorder.slice-length") Optional<Duration> sliceLength) {
        sliceLength.ifPresent(slice -> CutGrid.checkAligned(slice, config.segmentDuration()));
    }
}
