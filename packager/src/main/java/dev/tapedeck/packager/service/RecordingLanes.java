package dev.tapedeck.packager.service;

import dev.tapedeck.storage.StorageException;
import io.smallrye.faulttolerance.api.TypedGuard;
import jakarta.enterprise.util.TypeLiteral;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Packaging work in lanes (one per rendition of a recording): a lane's steps run one after the other in the order they
 * were handed in, lanes run side by side on a few threads. A step that fails on storage or the broker is retried with exponential
 * backoff and without a limit (SmallRye Fault Tolerance, waiting on its timer, not on a thread), so one recording
 * waiting out an outage holds no worker and no other lane; its later steps wait behind it. Any other failure ends
 * the step: the caller hears it through the step's future.
 */
public final class RecordingLanes implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RecordingLanes.class);
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /** A step handed in: {@code admitted} completes once another may be handed in, {@code done} when it finished. */
    public record Submitted(CompletableFuture<Void> admitted, CompletableFuture<Void> done) {
    }

    private final ExecutorService workers;
    private final TypedGuard<CompletionStage<Void>> guard;
    private final int maxInFlight;
    private final Map<String, CompletableFuture<Void>> tails = new HashMap<>();
    private final AtomicInteger retrying = new AtomicInteger();
    private int inFlight;
    private CompletableFuture<Void> waiting;

    /**
     * @param workers     how many steps run at once
     * @param maxInFlight steps handed in and not finished beyond which {@link Submitted#admitted()} waits
     * @param onRetry     hears every failure that will be retried (metrics)
     */
    public RecordingLanes(int workers, int maxInFlight, Duration firstDelay, Duration maxDelay, Consumer<Throwable> onRetry) {
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "packager-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.maxInFlight = maxInFlight;
        this.guard = TypedGuard.create(new TypeLiteral<CompletionStage<Void>>() {
        })
                .withThreadOffload(false)
                .withRetry()
                .maxRetries(-1)
                .maxDuration(0, ChronoUnit.MILLIS)
                .delay(firstDelay.toMillis(), ChronoUnit.MILLIS)
                .jitter(0, ChronoUnit.MILLIS)
                .whenException(RecordingLanes::isTransient)
                .withExponentialBackoff().factor(2).maxDelay(maxDelay.toMillis(), ChronoUnit.MILLIS).done()
                .beforeRetry(e -> {
                    if (e.getCause() instanceof PackagerService.SourceBehind) {
                        LOG.debugf("%s; trying again", e.getMessage()); // waiting, not failing
                        return;
                    }
                    onRetry.accept(e);
                    LOG.warnf("%s; retrying", e.getMessage());
                })
                .done()
                .build();
    }

    /** Hands {@code step} to {@code lane}; it runs once every step handed to the lane before it has finished. */
    public synchronized Submitted submit(String lane, String what, Runnable step) {
        inFlight++;
        CompletableFuture<Void> before = tails.getOrDefault(lane, DONE);
        CompletableFuture<Void> done = before.handle((v, e) -> null).thenCompose(v -> guarded(lane + ": " + what, step)).toCompletableFuture();
        tails.put(lane, done);
        done.whenComplete((v, e) -> finished(lane, done));
        CompletableFuture<Void> admitted = DONE;
        if (inFlight >= maxInFlight) {
            waiting = waiting != null ? waiting : new CompletableFuture<>();
            admitted = waiting;
        }
        return new Submitted(admitted, done);
    }

    private CompletionStage<Void> guarded(String what, Runnable step) {
        AtomicBoolean failing = new AtomicBoolean();
        return guard.get(() -> CompletableFuture.runAsync(() -> {
            if (failing.compareAndSet(true, false)) {
                retrying.decrementAndGet();
            }
            try {
                step.run();
            } catch (RuntimeException e) {
                if (!isTransient(e)) {
                    throw e;
                }
                failing.set(true);
                retrying.incrementAndGet();
                throw new Retried(what + " failed: " + e.getMessage(), e);
            }
        }, workers)).whenComplete((v, e) -> {
            if (failing.compareAndSet(true, false)) {
                retrying.decrementAndGet();
            }
        });
    }

    private void finished(String lane, CompletableFuture<Void> done) {
        CompletableFuture<Void> release = null;
        synchronized (this) {
            tails.remove(lane, done);
            inFlight--;
            if (waiting != null && inFlight < maxInFlight) {
                release = waiting;
                waiting = null;
            }
        }
        if (release != null) {
            release.complete(null);
        }
    }

    /** Lanes with a step queued or running. */
    public synchronized int busyLanes() {
        return tails.size();
    }

    /** Steps handed in and not finished. */
    public synchronized int inFlight() {
        return inFlight;
    }

    /** Steps whose last attempt failed on storage or the broker and that wait for their next attempt. */
    public int retrying() {
        return retrying.get();
    }

    /** Storage and broker errors pass; a missing object, bad media or a bug do not. */
    static boolean isTransient(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof Retried || t instanceof PackagerService.SourceBehind) {
                return true;
            }
            if (t instanceof StorageException s) {
                return !s.notFound();
            }
            if (t instanceof TimeoutException || t.getClass().getName().startsWith("org.apache.kafka.")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() throws InterruptedException {
        workers.shutdown();
        if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
            LOG.warn("packaging steps still running at shutdown are abandoned; their events are delivered again");
            workers.shutdownNow();
        }
    }

    /** A transient failure of one attempt, named after its step. */
    static final class Retried extends RuntimeException {
        Retried(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }
}
