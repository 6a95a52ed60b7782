package dev.tapedeck.packager.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.event.EventCodec;
import dev.tapedeck.packager.config.PackagerConfig;
import dev.tapedeck.packager.hls.Manifest;
import dev.tapedeck.storage.ObjectStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Loads and saves manifests in object storage, with an in-memory cache of recent recordings. Every rendition lane of a
 * recording gets the same Manifest object (callers change it under its monitor): a recording is loaded by one thread at
 * a time, and a new one is cached before it is saved.
 *
 * <p>A change is saved at a bounded rate: {@link #changed} saves at once when the recording's last save is at least the
 * manifest interval ago, else once it is; every change made meanwhile goes into that one save. {@link #saved} tells when
 * what has changed so far is in the bucket, so an event is acknowledged only once a saved manifest includes what it did
 * (after a crash, the events after the last save are delivered again and redone). A deferred save that fails on storage
 * is retried with backoff, the changes kept in memory; a dirty manifest is never dropped from the cache. {@link #saveNow}
 * saves at once (a status change), and passes its storage error to the caller.
 */
@ApplicationScoped
public class ManifestStore {
    private static final Logger LOG = Logger.getLogger(ManifestStore.class);
    private static final int CACHE = 1024;
    private final Object[] loading = new Object[64];
    private final BiConsumer<String, byte[]> put;
    private final Function<String, Optional<byte[]>> get;
    private final Duration interval;
    private final Duration retryDelay;
    private final Duration retryMaxDelay;
    private final Runnable onSave;
    private final ObjectMapper mapper = EventCodec.mapper();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final ScheduledExecutorService saver;
    private final Map<String, Manifest> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Manifest> eldest) {
            return size() > CACHE && !dirty(eldest.getKey());
        }
    };

    /** What of a recording's manifest is not saved yet. Guarded by itself. */
    private static final class Pending {
        Manifest manifest;
        boolean dirty;
        /** Completes when the next save succeeds. */
        CompletableFuture<Void> saved = new CompletableFuture<>();
        ScheduledFuture<?> timer;
        long lastSavedNanos;
        boolean everSaved;
        Duration backoff = Duration.ZERO;

        Pending(Manifest manifest) {
            this.manifest = manifest;
        }
    }

    @Inject
    ManifestStore(ObjectStore store, PackagerConfig config, MeterRegistry metrics) {
        this((key, json) -> store.putBytes(key, json, "application/json"), store::getBytes, config.manifestInterval(), config.retryDelay(),
                config.retryMaxDelay(), saves(metrics));
    }

    private static Runnable saves(MeterRegistry metrics) {
        Counter saves = metrics.counter("tapedeck.packager.manifest.saves");
        return saves::increment;
    }

    ManifestStore(BiConsumer<String, byte[]> put, Function<String, Optional<byte[]>> get, Duration interval, Duration retryDelay,
            Duration retryMaxDelay, Runnable onSave) {
        this.put = put;
        this.get = get;
        this.interval = interval;
        this.retryDelay = retryDelay;
        this.retryMaxDelay = retryMaxDelay;
        this.onSave = onSave;
        for (int i = 0; i < loading.length; i++) {
            loading[i] = new Object();
        }
        AtomicInteger n = new AtomicInteger();
        this.saver = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "packager-manifest-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** The recording's manifest: cached, else from the bucket, else {@code create}'s (cached, not yet saved). */
    public Manifest open(String recordingId, Supplier<Manifest> create) {
        synchronized (loading[Math.floorMod(recordingId.hashCode(), loading.length)]) {
            Manifest m = load(recordingId).orElse(null);
            if (m == null) {
                m = create.get();
                synchronized (cache) {
                    cache.put(recordingId, m);
                }
            }
            return m;
        }
    }

    public Optional<Manifest> load(String recordingId) {
        synchronized (loading[Math.floorMod(recordingId.hashCode(), loading.length)]) {
            return loadOnce(recordingId);
        }
    }

    private Optional<Manifest> loadOnce(String recordingId) {
        synchronized (cache) {
            Manifest cached = cache.get(recordingId);
            if (cached != null) {
                return Optional.of(cached);
            }
        }
        Optional<byte[]> json = get.apply(StorageKeys.manifest(recordingId));
        return json.map(bytes -> {
            try {
                Manifest m = mapper.readValue(bytes, Manifest.class);
                synchronized (cache) {
                    cache.put(recordingId, m);
                }
                return m;
            } catch (IOException e) {
                throw new UncheckedIOException("manifest of " + recordingId + " is not readable", e);
            }
        });
    }

    /**
     * {@code m} changed (the caller holds its monitor): it is saved at once when its last save is the manifest interval
     * ago or more, else once it is. With an interval of zero, every change is saved at once.
     */
    public void changed(Manifest m) {
        if (interval.isZero()) {
            saveNow(m);
            return;
        }
        pending.compute(m.recordingId, (k, known) -> {
            Pending p = known != null ? known : new Pending(m);
            synchronized (p) {
                p.manifest = m;
                p.dirty = true;
                if (p.timer == null) {
                    long wait = p.everSaved ? interval.toNanos() - (System.nanoTime() - p.lastSavedNanos) : 0;
                    p.timer = saver.schedule(() -> deferredSave(p), Math.max(0, wait), TimeUnit.NANOSECONDS);
                }
            }
            return p;
        });
    }

    /** Saves {@code m} now (the caller holds its monitor); a storage error passes to the caller, the change stays to save. */
    public void saveNow(Manifest m) {
        Pending p = pending.compute(m.recordingId, (k, known) -> {
            Pending q = known != null ? known : new Pending(m);
            synchronized (q) {
                q.manifest = m;
                q.dirty = true;
            }
            return q;
        });
        write(m, p);
    }

    /** Completes once every change made to the recording's manifest so far is saved: at once when nothing is left to save. */
    public CompletionStage<Void> saved(String recordingId) {
        Pending p = pending.get(recordingId);
        if (p == null) {
            return CompletableFuture.completedFuture(null);
        }
        synchronized (p) {
            return p.dirty ? p.saved : CompletableFuture.completedFuture(null);
        }
    }

    private boolean dirty(String recordingId) {
        Pending p = pending.get(recordingId);
        if (p == null) {
            return false;
        }
        synchronized (p) {
            return p.dirty;
        }
    }

    private void deferredSave(Pending p) {
        synchronized (p) {
            p.timer = null;
        }
        try {
            synchronized (p.manifest) {
                synchronized (p) {
                    if (!p.dirty) {
                        return;
                    }
                }
                write(p.manifest, p);
            }
        } catch (RuntimeException e) {
            synchronized (p) {
                p.backoff = p.backoff.isZero() ? retryDelay : min(p.backoff.multipliedBy(2), retryMaxDelay);
                LOG.warnf("manifest of %s not saved (%s); retrying in %d ms, its events unacknowledged until then",
                        p.manifest.recordingId, e.getMessage(), p.backoff.toMillis());
                if (p.timer == null) {
                    p.timer = saver.schedule(() -> deferredSave(p), p.backoff.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        }
    }

    /** Serializes and uploads {@code m} (its monitor held, so no change comes in between), then completes the waiters. */
    private void write(Manifest m, Pending p) {
        byte[] json;
        synchronized (m) {
            try {
                json = mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            put.accept(StorageKeys.manifest(m.recordingId), json);
        }
        onSave.run();
        synchronized (cache) {
            cache.put(m.recordingId, m);
        }
        CompletableFuture<Void> done;
        synchronized (p) {
            p.dirty = false;
            p.everSaved = true;
            p.lastSavedNanos = System.nanoTime();
            p.backoff = Duration.ZERO;
            done = p.saved;
            p.saved = new CompletableFuture<>();
            if (p.timer != null) {
                p.timer.cancel(false);
                p.timer = null;
            }
        }
        done.complete(null);
        // Its throttle is kept for one interval, then forgotten unless changed meanwhile.
        try {
            saver.schedule(() -> pending.computeIfPresent(m.recordingId, (k, q) -> {
                synchronized (q) {
                    return q.dirty || q.timer != null || System.nanoTime() - q.lastSavedNanos < interval.toNanos() ? q : null;
                }
            }), interval.toMillis() + 1, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Saves what is not saved yet, once each; what fails is left to the events delivered again after the restart. */
    @PreDestroy
    void flush() {
        saver.shutdownNow();
        for (Pending p : pending.values()) {
            try {
                synchronized (p.manifest) {
                    if (dirty(p.manifest.recordingId)) {
                        write(p.manifest, p);
                    }
                }
            } catch (RuntimeException e) {
                LOG.warnf("manifest of %s not saved at shutdown (%s): its unacknowledged events are delivered again", p.manifest.recordingId,
                        e.getMessage());
            }
        }
    }
}
