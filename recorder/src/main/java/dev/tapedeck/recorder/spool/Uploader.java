package dev.tapedeck.recorder.spool;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.storage.ObjectConflictException;
import dev.tapedeck.storage.Sha256;
import dev.tapedeck.storage.StoredObject;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * The recorder's uploads: one lane per rendition's recording, lanes run side by side on a few threads. Within a lane
 * slices go up in the order they were handed in (so in sequence), each retried without limit until stored, then
 * announced with SliceStored and only then removed from the spool; a step queued on the lane (its RecordingClosed)
 * runs after them. Lanes do not wait for each other: slices that every stream finishes at the same moment (they share
 * the cut grid) go up together instead of one after the other.
 */
public final class Uploader implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Uploader.class);

    /** What the uploader reports. */
    public interface Listener {
        void stored(SpoolEntry entry, long bytes);

        void conflict(SpoolEntry entry);
    }

    /** Outcome of one slice. */
    public enum Result {
        STORED,
        /** The key holds different content: the slice was moved to the spool's quarantine. */
        QUARANTINED,
        /**
         * The key holds a slice that starts where this one does and covers at least as much (a standby's complete copy of
         * a slice this replica was writing when it died): this one leaves the spool unannounced.
         */
        SUPERSEDED
    }

    private final Spool spool;
    private final SliceStore store;
    private final Announcer announcer;
    private final Retrier retrier;
    private final Listener listener;
    private final Clock clock;
    private final ExecutorService threads;
    /** The last step queued on each lane that has not finished yet. */
    private final java.util.Map<String, CompletableFuture<?>> tails = new java.util.HashMap<>();

    /** One upload thread (tests). */
    public Uploader(Spool spool, SliceStore store, Announcer announcer, Retrier retrier, Listener listener, Clock clock) {
        this(spool, store, announcer, retrier, listener, clock, 1);
    }

    /** @param threads how many lanes upload at once */
    public Uploader(Spool spool, SliceStore store, Announcer announcer, Retrier retrier, Listener listener, Clock clock, int threads) {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        this.threads = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> new Thread(r, "uploader-" + n.incrementAndGet()));
        this.spool = spool;
        this.store = store;
        this.announcer = announcer;
        this.retrier = retrier;
        this.listener = listener;
        this.clock = clock;
    }

    /** Queues a spooled slice on its rendition's lane: stored, announced, then removed from the spool. */
    public CompletableFuture<Result> upload(SpoolEntry entry) {
        return enqueue(lane(entry.recordingId(), entry.rendition()), () -> {
            mdc(entry);
            try {
                return store(entry);
            } finally {
                MDC.clear();
            }
        });
    }

    /** Queues a step behind every upload queued before it on the rendition's lane; retried like an upload. */
    public CompletableFuture<Void> then(String recordingId, String rendition, String what, Runnable step) {
        return enqueue(lane(recordingId, rendition), () -> {
            try {
                retrier.call(what, () -> {
                    step.run();
                    return null;
                });
                return null;
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(what + " failed: " + e.getMessage(), e);
            }
        });
    }

    private static String lane(String recordingId, String rendition) {
        return recordingId + "/" + rendition;
    }

    /** Runs {@code task} on the pool once everything queued before it on the lane finished (failed or not). */
    private synchronized <T> CompletableFuture<T> enqueue(String lane, java.util.function.Supplier<T> task) {
        CompletableFuture<?> before = tails.get(lane);
        CompletableFuture<T> next = before == null ? CompletableFuture.supplyAsync(task, threads)
                : before.handle((v, e) -> null).thenApplyAsync(v -> task.get(), threads);
        tails.put(lane, next);
        next.whenComplete((v, e) -> {
            synchronized (this) {
                tails.remove(lane, next);
            }
        });
        return next;
    }

    private Result store(SpoolEntry entry) {
        StreamKey source = StreamKey.parse(entry.streamKey());
        String key = StorageKeys.slice(source, entry.recordingId(), entry.rendition(), entry.seq());
        try {
            String sha = Sha256.of(spool.fileOf(entry));
            StoredObject stored;
            try {
                java.util.Map<String, String> metadata = java.util.Map.of(SliceStore.FIRST_DTS, Long.toString(entry.firstDtsMillis()),
                        SliceStore.DURATION, Long.toString(entry.durationMillis()));
                stored = retrier.call("upload of " + key, () -> store.putOnce(key, spool.fileOf(entry), sha, metadata));
            } catch (ObjectConflictException e) {
                if (supersededAt(key, entry)) {
                    spool.remove(entry);
                    LOG.infof("slice %d of %s is already stored whole under %s (a standby's copy, from the same first packet on): "
                            + "this partial copy leaves the spool", entry.seq(), entry.renditionPath(), key);
                    return Result.SUPERSEDED;
                }
                java.nio.file.Path kept = spool.quarantine(entry);
                listener.conflict(entry);
                LOG.errorf("slice %d of %s cannot be stored: %s; the file is kept at %s", entry.seq(), entry.renditionPath(),
                        e.getMessage(), kept);
                return Result.QUARANTINED;
            }
            SliceStored event = new SliceStored(entry.recordingId(), entry.sessionId(), entry.streamKey(), entry.rendition(),
                    entry.seq(), key, entry.firstDtsMillis(), entry.lastDtsMillis(), entry.durationMillis(), stored.size(), sha,
                    entry.keyframes(), entry.discontinuity(), entry.gapMillis(), clock.instant(), entry.media(), entry.startedAt());
            retrier.call("announcing slice " + entry.seq() + " of " + entry.renditionPath(), () -> {
                announcer.stored(event);
                return null;
            });
            spool.remove(entry);
            listener.stored(entry, stored.size());
            LOG.infof("slice %d stored: %s (%d bytes, %d ms%s)", entry.seq(), key, stored.size(), entry.durationMillis(),
                    entry.discontinuity() ? ", discontinuity after a " + entry.gapMillis() + " ms gap" : "");
            return Result.STORED;
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("slice " + entry.seq() + " of " + entry.renditionPath() + " stays in the spool: "
                    + e.getMessage(), e);
        }
    }

    /** True when the object under {@code key} begins with the entry's first packet and lasts at least as long. */
    private boolean supersededAt(String key, SpoolEntry entry) {
        try {
            java.util.Map<String, String> stored = retrier.call("reading the metadata of " + key, () -> store.metadata(key))
                    .orElse(java.util.Map.of());
            String first = stored.get(SliceStore.FIRST_DTS);
            String duration = stored.get(SliceStore.DURATION);
            return first != null && duration != null && Long.parseLong(first) == entry.firstDtsMillis()
                    && Long.parseLong(duration) >= entry.durationMillis();
        } catch (Exception e) {
            LOG.warnf("cannot read the metadata of %s (%s); the conflicting slice is kept in quarantine", key, e.getMessage());
            return false;
        }
    }

    private static void mdc(SpoolEntry e) {
        MDC.put("streamKey", e.streamKey());
        MDC.put("recordingId", e.recordingId());
        MDC.put("sessionId", e.sessionId());
        MDC.put("rendition", e.rendition());
    }

    /** Waits up to {@code millis} for what is queued, then stops; what is not stored stays in the spool. */
    public boolean drain(long millis) throws InterruptedException {
        CompletableFuture<?>[] pending;
        synchronized (this) {
            pending = tails.values().toArray(CompletableFuture[]::new);
        }
        boolean done;
        try {
            CompletableFuture.allOf(pending).get(millis, TimeUnit.MILLISECONDS);
            done = true;
        } catch (java.util.concurrent.ExecutionException e) {
            done = true;
        } catch (java.util.concurrent.TimeoutException e) {
            done = false;
        }
        threads.shutdownNow();
        return done;
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
