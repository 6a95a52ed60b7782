package dev.tapedeck.recorder.health;

import dev.tapedeck.recorder.config.RecorderConfig;
import dev.tapedeck.recorder.service.RecorderLifecycle;
import dev.tapedeck.recorder.spool.Spool;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Not ready while the spool holds more than its high-water mark: uploads are not keeping up (storage down or slow). */
@Readiness
@ApplicationScoped
public class SpoolReadiness implements HealthCheck {
    private final RecorderLifecycle lifecycle;
    private final RecorderConfig config;

    SpoolReadiness(RecorderLifecycle lifecycle, RecorderConfig config) {
        this.lifecycle = lifecycle;
        this.config = config;
    }

    @Override
    public HealthCheckResponse call() {
        Spool spool = lifecycle.spool();
        if (spool == null) {
            return HealthCheckResponse.named("spool").down().withData("reason", "starting").build();
        }
        long bytes = spool.bytes();
        long highWater = config.spoolHighWater().asLongValue();
        var r = HealthCheckResponse.named("spool").withData("bytes", bytes).withData("slices", spool.count())
                .withData("highWaterBytes", highWater);
        if (bytes > highWater) {
            return r.down().withData("reason", "spool above its high-water mark: " + bytes + " bytes waiting for upload in "
                    + spool.root() + " (limit " + highWater + "); is object storage reachable?").build();
        }
        return r.up().build();
    }
}
