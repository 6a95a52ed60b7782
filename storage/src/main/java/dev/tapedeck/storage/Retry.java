package dev.tapedeck.storage;

import java.time.Duration;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/** Retries an object-store call with exponential backoff; "not found" is never retried. */
public record Retry(int attempts, Duration firstDelay, Duration maxDelay) {
    private static final Logger LOG = Logger.getLogger(Retry.class);

    public static final Retry DEFAULT = new Retry(8, Duration.ofMillis(250), Duration.ofSeconds(10));

    public <T> T run(String what, Supplier<T> call) {
        Duration delay = firstDelay;
        for (int attempt = 1; ; attempt++) {
            try {
                return call.get();
            } catch (StorageException e) {
                if (e.notFound() || attempt >= attempts) {
                    throw e;
                }
                LOG.warnf("%s failed (attempt %d of %d), retrying in %d ms: %s", what, attempt, attempts, delay.toMillis(), e.getMessage());
                try {
                    Thread.sleep(delay.toMillis());
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                delay = delay.multipliedBy(2).compareTo(maxDelay) > 0 ? maxDelay : delay.multipliedBy(2);
            }
        }
    }
}
