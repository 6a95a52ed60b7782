package dev.tapedeck.hook.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Holds a publish until the recorder has started playing the stream. A media server without a GOP cache
 * (nginx-rtmp) hands a late player only what comes after it joined; a recorder that is already attached
 * when the publish is allowed records from the very first frame.
 */
@ApplicationScoped
public class AttachGate {
    private final ConcurrentHashMap<String, CompletableFuture<Void>> waiting = new ConcurrentHashMap<>();

    /** Registers interest in a recorder attaching to {@code app/stream}; call before the event is sent. */
    public void expect(String app, String stream) {
        waiting.put(app + "/" + stream, new CompletableFuture<>());
    }

    /** A recorder started playing {@code app/stream}. */
    public void attached(String app, String stream) {
        CompletableFuture<Void> f = waiting.get(app + "/" + stream);
        if (f != null) {
            f.complete(null);
        }
    }

    /** Waits up to {@code max} for the recorder; true when it attached. */
    public boolean await(String app, String stream, Duration max) {
        CompletableFuture<Void> f = waiting.get(app + "/" + stream);
        if (f == null) {
            return false;
        }
        try {
            f.get(max.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            return false;
        } finally {
            waiting.remove(app + "/" + stream, f);
        }
    }

    /** Forgets a stream whose publish was refused. */
    public void cancel(String app, String stream) {
        waiting.remove(app + "/" + stream);
    }
}
