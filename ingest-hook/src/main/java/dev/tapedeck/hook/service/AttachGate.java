package dev.tapedeck.hook.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Holds a publish until the given roles (the recorder, the transcoder's worker) have started playing the
 * stream. A media server without a GOP cache (nginx-rtmp) hands a late player only what comes after it
 * joined; a player that is already attached when the publish is allowed gets the very first frame.
 */
@ApplicationScoped
public class AttachGate {
    private final ConcurrentHashMap<String, Waiting> waiting = new ConcurrentHashMap<>();

    /** Registers interest in {@code roles} attaching to {@code app/stream}; call before the event is sent. */
    public void expect(String app, String stream, Set<String> roles) {
        waiting.put(app + "/" + stream, new Waiting(roles));
    }

    /** A player with {@code role} started playing {@code app/stream}. */
    public void attached(String app, String stream, String role) {
        Waiting w = waiting.get(app + "/" + stream);
        if (w != null) {
            w.arrived(role);
        }
    }

    /**
     * Waits up to {@code max} for every expected role and forgets the stream.
     *
     * @return the roles that did not attach in time (empty when all did); every role when nothing was expected
     */
    public Set<String> await(String app, String stream, Duration max) {
        Waiting w = waiting.get(app + "/" + stream);
        if (w == null) {
            return Set.of("*");
        }
        try {
            return w.await(max.toNanos());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return w.missing();
        } finally {
            waiting.remove(app + "/" + stream, w);
        }
    }

    /** Forgets a stream whose publish was refused. */
    public void cancel(String app, String stream) {
        waiting.remove(app + "/" + stream);
    }

    private static final class Waiting {
        private final Set<String> missing;

        Waiting(Set<String> roles) {
            this.missing = new TreeSet<>(roles);
        }

        synchronized void arrived(String role) {
            if (missing.remove(role) && missing.isEmpty()) {
                notifyAll();
            }
        }

        synchronized Set<String> await(long nanos) throws InterruptedException {
            long deadline = System.nanoTime() + nanos;
            while (!missing.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                wait(Math.max(1, left / 1_000_000));
            }
            return Set.copyOf(missing);
        }

        synchronized Set<String> missing() {
            return Set.copyOf(missing);
        }
    }
}
