package dev.tapedeck.packager.config;

import dev.tapedeck.packager.service.RecordingLanes;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The packager's workers: one lane per recording, sized and retried as configured, with their gauges. */
@ApplicationScoped
public class LanesProducer {

    @Produces
    @Singleton
    RecordingLanes lanes(PackagerConfig config, MeterRegistry metrics) {
        RecordingLanes lanes = new RecordingLanes(config.workers(), config.maxInFlight(), config.retryDelay(), config.retryMaxDelay(),
                e -> metrics.counter("tapedeck.packager.retries").increment());
        metrics.gauge("tapedeck.packager.events.in.flight", lanes, RecordingLanes::inFlight);
        metrics.gauge("tapedeck.packager.lanes.busy", lanes, RecordingLanes::busyLanes);
        metrics.gauge("tapedeck.packager.events.retrying", lanes, RecordingLanes::retrying);
        return lanes;
    }

    void close(@Disposes RecordingLanes lanes) throws InterruptedException {
        lanes.close();
    }
}
