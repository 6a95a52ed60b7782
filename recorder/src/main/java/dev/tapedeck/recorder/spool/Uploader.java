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
 * The recorder's one upload thread. Slices go up in the order they were handed in (so every rendition's
 * slices in sequence), each retried without limit until stored, then announced with SliceStored and only
 * then removed from the spool. Other steps (a RecordingClosed) queue behind the uploads before them.
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
        QUARANTINED
    }

    private final Spool spool;
    private final SliceStore store;
    private final Announcer announcer;
    private final Retrier retrier;
    private final Listener listener;
    private final Clock clock;
    private final ExecutorService thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
            r -> new Thread(r, "uploader"));

    public Uploader(Spool spool, SliceStore store, Announcer announcer, Retrier retrier, Listener listener, Clock clock) {
        this.spool = spool;
        this.store = store;
        this.announcer = announcer;
        this.retrier = retrier;
        this.listener = listener;
        this.clock = clock;
    }

    /** Queues a spooled slice: stored, announced, then removed from the spool. */
    public CompletableFuture<Result> upload(SpoolEntry entry) {
        return CompletableFuture.supplyAsync(() -> {
            mdc(entry);
            try {
                return store(entry);
            } finally {
                MDC.clear();
            }
        }, thread);
    }

    /** Queues a step behind every upload queued before it; retried like an upload. */
    public CompletableFuture<Void> then(String what, Runnable step) {
        return CompletableFuture.runAsync(() -> {
            try {
                retrier.call(what, () -> {
                    step.run();
                    return null;
                });
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(what + " failed: " + e.getMessage(), e);
            }
        }, thread);
    }

    private Result store(SpoolEntry entry) {
        StreamKey source = StreamKey.parse(entry.streamKey());
        String key = StorageKeys.slice(source, entry.recordingId(), entry.rendition(), entry.seq());
        try {
            String sha = Sha256.of(spool.fileOf(entry));
            StoredObject stored;
            try {
                stored = retrier.call("upload of " + key, () -> store.putOnce(key, spool.fileOf(entry), sha));
            } catch (ObjectConflictException e) {
                java.nio.file.Path kept = spool.quarantine(entry);
                listener.conflict(entry);
                LOG.errorf("slice %d of %s cannot be stored: %s; the file is kept at %s", entry.seq(), entry.renditionPath(),
                        e.getMessage(), kept);
                return Result.QUARANTINED;
            }
            SliceStored event = new SliceStored(entry.recordingId(), entry.sessionId(), entry.streamKey(), entry.rendition(),
                    entry.seq(), key, entry.firstDtsMillis(), entry.lastDtsMillis(), entry.durationMillis(), stored.size(), sha,
                    entry.keyframes(), entry.discontinuity(), entry.gapMillis(), clock.instant(), entry.media());
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

    private static void mdc(SpoolEntry e) {
        MDC.put("streamKey", e.streamKey());
        MDC.put("recordingId", e.recordingId());
        MDC.put("sessionId", e.sessionId());
        MDC.put("rendition", e.rendition());
    }

    /** Waits up to {@code millis} for what is queued, then stops; what is not stored stays in the spool. */
    public boolean drain(long millis) throws InterruptedException {
        thread.shutdown();
        if (thread.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
            return true;
        }
        thread.shutdownNow();
        return false;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
