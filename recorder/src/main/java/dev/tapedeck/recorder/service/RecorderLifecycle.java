package dev.tapedeck.recorder.service;

import dev.tapedeck.recorder.config.RecorderConfig;
import dev.tapedeck.recorder.media.PullFactory;
import dev.tapedeck.recorder.pool.LiveOwnership;
import dev.tapedeck.recorder.spool.GuardRetrier;
import dev.tapedeck.recorder.spool.SliceStore;
import dev.tapedeck.recorder.spool.Spool;
import dev.tapedeck.recorder.spool.SpoolEntry;
import dev.tapedeck.recorder.spool.Uploader;
import dev.tapedeck.storage.ObjectStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Starts a replica in the order that loses nothing: the spool first (half-written slices salvaged, finished
 * ones queued for upload ahead of anything new), then the pool. Stops it the other way round: every stream is
 * handed over with its current slice stored, then what is queued is uploaded within the shutdown timeout.
 */
@ApplicationScoped
public class RecorderLifecycle {
    private static final Logger LOG = Logger.getLogger(RecorderLifecycle.class);

    private final RecorderConfig config;
    private final ObjectStore store;
    private final SliceEvents events;
    private final PullFactory pulls;
    private final Clock clock;
    private final MeterRegistry registry;
    private final String bootstrapServers;
    private Spool spool;
    private Uploader uploader;
    private RecorderService recorder;
    private LiveOwnership ownership;

    RecorderLifecycle(RecorderConfig config, ObjectStore store, SliceEvents events, PullFactory pulls, Clock clock,
            MeterRegistry registry, @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers,
            @ConfigProperty(name = "tapedeck.packager.segment-duration") java.util.Optional<java.time.Duration> segmentDuration) {
        // Where the packager's segment duration is configured here too (one ConfigMap for both), check they fit.
        segmentDuration.ifPresent(segment -> dev.tapedeck.contract.CutGrid.checkAligned(config.sliceLength(), segment));
        this.config = config;
        this.store = store;
        this.events = events;
        this.pulls = pulls;
        this.clock = clock;
        this.registry = registry;
        this.bootstrapServers = bootstrapServers;
    }

    void onStart(@Observes StartupEvent ev) throws Exception {
        // The storage client is made now, while the replica is not ready yet: a takeover after a restart must not wait for it.
        LOG.debugf("object storage bucket %s", store.bucket());
        pulls.prepare();
        RecorderMetrics metrics = new RecorderMetrics(registry);
        spool = new Spool(config.spoolDir());
        metrics.watch(spool, clock);
        GuardRetrier retrier = new GuardRetrier(config.retryDelay(), config.retryMaxDelay(), metrics::retried);
        SliceStore slices = SliceStore.of(store);
        uploader = new Uploader(spool, slices, events, retrier, metrics, clock, config.uploadThreads());
        java.util.Set<String> salvaged = new java.util.HashSet<>();
        for (Spool.Partial partial : spool.partials()) {
            Salvage.salvage(partial, spool, pulls, clock).ifPresent(e -> salvaged.add(e.recordingId() + "/" + e.rendition() + "/" + e.seq()));
        }
        List<SpoolEntry> left = spool.recover();
        if (!left.isEmpty()) {
            LOG.infof("the spool holds %d slices (%d bytes) from before this start; uploading them first", left.size(), spool.bytes());
        }
        List<java.util.concurrent.CompletableFuture<Uploader.Result>> uploads = new java.util.ArrayList<>();
        for (SpoolEntry e : left) {
            if (salvaged.contains(e.recordingId() + "/" + e.rendition() + "/" + e.seq()) && SalvageHold.takenOverSince(slices, e)) {
                // The standby's copy of it is being written: at most a slice at its longest, then its upload.
                Duration maxSlice = config.maxSliceDuration().orElse(config.sliceLength().multipliedBy(2));
                SalvageHold.uploadAfterTheStandby(e, slices, uploader, maxSlice.plus(config.handoverTimeout()));
            } else {
                uploads.add(uploader.upload(e));
            }
        }
        // Stored before this replica joins the pool: a replica that resumes one of these streams then continues after them.
        awaitStored(uploads);
        // A standby's slices belong to nothing after a restart: the stream's owner has them, or a standby of this life does.
        spool.clearStandbys();
        RecorderSettings settings = new RecorderSettings(config.mediaServerUrl(), config.sliceLength(), config.readTimeout(),
                config.stopGrace(), config.maxRecordings(), config.handoverTimeout(), config.idleTimeout(), config.reconnectDelay(),
                config.standbySlices(), config.standbyBytes().asLongValue(), java.util.Set.copyOf(config.noStandbyApps().orElse(List.of())));
        String life = java.util.UUID.randomUUID().toString();
        LOG.infof("this replica's life is %s (its pulls at risk are noted under state/recorder/lives/%s/)", life, life);
        recorder = new RecorderService(new RecorderContext(settings, spool, uploader, slices, events, pulls, retrier, clock, metrics,
                new PullGuard(slices, life, config.crashLimit(), config.crashWindow(), config.haltOnStream().orElse(null))));
        ownership = new LiveOwnership(new LiveOwnership.Settings(bootstrapServers, config.groupId(), config.sessionTimeout(),
                config.handoverTimeout(), config.redundancy(), config.node().orElse(null)), recorder);
        ownership.start();
    }

    private void awaitStored(List<java.util.concurrent.CompletableFuture<Uploader.Result>> uploads) {
        if (uploads.isEmpty()) {
            return;
        }
        try {
            java.util.concurrent.CompletableFuture.allOf(uploads.toArray(java.util.concurrent.CompletableFuture[]::new))
                    .get(config.handoverTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warnf("the slices from before this start are not all stored after %s (object storage slow or down); joining the pool,"
                    + " they are uploaded meanwhile", config.handoverTimeout());
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warnf("storing the slices from before this start failed: %s", e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void onStop(@Observes @Priority(1) ShutdownEvent ev) {
        if (ownership == null) {
            return;
        }
        LOG.infof("shutting down: handing over %d recordings", recorder.sessions().size());
        ownership.close();
        try {
            if (!uploader.drain(config.shutdownTimeout().toMillis())) {
                LOG.warnf("%d slices (%d bytes) are still in the spool %s; they are uploaded at the next start", spool.count(),
                        spool.bytes(), spool.root());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        recorder.close();
    }

    public Spool spool() {
        return spool;
    }

    public RecorderService recorder() {
        return recorder;
    }

    public LiveOwnership ownership() {
        return ownership;
    }
}
