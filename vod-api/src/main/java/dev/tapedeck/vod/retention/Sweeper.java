package dev.tapedeck.vod.retention;

import dev.tapedeck.vod.catalog.CatalogIndex;
import dev.tapedeck.vod.config.VodConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The retention sweep, every {@code retention.interval} on one replica at a time (a database-wide advisory lock):
 * first it finishes every deletion a dead process left halfway, then it deletes the recordings that started longer
 * ago than their app's age, batch after batch, never a LIVE one; it logs and counts what it removed
 * ({@code tapedeck_vod_retention_deleted_total}).
 */
@ApplicationScoped
public class Sweeper {
    private static final Logger LOG = Logger.getLogger(Sweeper.class);
    /** The advisory lock of the sweep: one key for the whole database. */
    static final long LOCK = 0x7461706564656b01L;

    private final CatalogIndex index;
    private final Deleter deleter;
    private final VodConfig.Retention retention;
    private final Counter deleted;
    private final Clock clock = Clock.systemUTC();
    private ScheduledExecutorService timer;

    Sweeper(CatalogIndex index, Deleter deleter, VodConfig config, MeterRegistry metrics) {
        this.index = index;
        this.deleter = deleter;
        this.retention = config.retention();
        this.deleted = Counter.builder("tapedeck_vod_retention_deleted").description("recordings deleted by the retention sweep")
                .register(metrics);
    }

    void start(@Observes StartupEvent started) {
        timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "tapedeck-retention"));
        long every = retention.interval().toMillis();
        // The first sweep soon after the start: a deletion a dead replica left is finished without waiting an hour.
        timer.scheduleWithFixedDelay(this::sweepQuietly, Math.min(every, 10_000), every, TimeUnit.MILLISECONDS);
        LOG.infof("retention: %s by default, %s per app; a sweep every %s", retention.defaultAge().map(Duration::toString)
                .orElse("kept forever"), retention.apps(), retention.interval());
    }

    void stop(@Observes ShutdownEvent stopping) {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            LOG.warnf("retention sweep stopped: %s; the next one goes on", e.getMessage());
        }
    }

    /** One sweep; how many recordings it deleted (expired and left halfway), or -1 when another replica sweeps. */
    public int sweep() {
        int[] removed = {0};
        boolean ran = index.whileHolding(LOCK, () -> {
            removed[0] += deleter.finishPending();
            Instant now = clock.instant();
            for (Map.Entry<String, Duration> app : retention.apps().entrySet()) {
                removed[0] += expire(app.getKey(), List.of(), now.minus(app.getValue()), app.getKey() + " keeps " + app.getValue());
            }
            if (retention.defaultAge().isPresent()) {
                removed[0] += expire(null, new ArrayList<>(retention.apps().keySet()), now.minus(retention.defaultAge().get()),
                        "recordings are kept " + retention.defaultAge().get());
            }
        });
        if (!ran) {
            return -1;
        }
        if (removed[0] > 0) {
            LOG.infof("retention sweep: %d recordings deleted", removed[0]);
        }
        return removed[0];
    }

    private int expire(String app, List<String> except, Instant before, String policy) {
        int n = 0;
        while (true) {
            List<String> ids = index.expired(app, except, before, retention.batch());
            if (ids.isEmpty()) {
                return n;
            }
            int batch = 0;
            for (String id : ids) {
                if (deleter.delete(id, "retention: " + policy) == Deleter.Outcome.DELETED) {
                    deleted.increment();
                    batch++;
                }
            }
            LOG.infof("retention: a batch of %d expired recordings deleted (%s)", batch, policy);
            n += batch;
            if (batch == 0) {
                return n; // nothing of it could be deleted (became live meanwhile): never the same batch forever
            }
        }
    }
}
