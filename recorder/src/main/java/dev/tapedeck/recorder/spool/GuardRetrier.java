package dev.tapedeck.recorder.spool;

import dev.tapedeck.storage.ObjectConflictException;
import io.smallrye.faulttolerance.api.Guard;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/** {@link Retrier} on SmallRye Fault Tolerance: exponential backoff from {@code firstDelay} up to {@code maxDelay}, no retry limit. */
public final class GuardRetrier implements Retrier {
    private static final Logger LOG = Logger.getLogger(GuardRetrier.class);
    private final Guard guard;

    /** @param onRetry hears every failure that will be retried (metrics) */
    public GuardRetrier(Duration firstDelay, Duration maxDelay, Consumer<Throwable> onRetry) {
        this.guard = Guard.create()
                .withRetry()
                .maxRetries(-1)
                .maxDuration(0, ChronoUnit.MILLIS)
                .delay(firstDelay.toMillis(), ChronoUnit.MILLIS)
                .jitter(0, ChronoUnit.MILLIS)
                .abortOn(List.of(ObjectConflictException.class, Abort.class, InterruptedException.class))
                .withExponentialBackoff().factor(2).maxDelay(maxDelay.toMillis(), ChronoUnit.MILLIS).done()
                .beforeRetry(e -> {
                    onRetry.accept(e);
                    LOG.warnf("%s; retrying", e.getMessage());
                })
                .done()
                .build();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T call(String what, Callable<T> op) throws Exception {
        Callable<Object> named = () -> {
            try {
                return op.call();
            } catch (ObjectConflictException | Abort e) {
                throw e;
            } catch (RuntimeException e) {
                throw new RetriedException(what + " failed: " + e.getMessage(), e);
            }
        };
        try {
            return (T) guard.call(named, Object.class);
        } catch (RetriedException e) {
            throw (Exception) e.getCause();
        }
    }

    /** Carries the operation's name into the retry log line. */
    private static final class RetriedException extends RuntimeException {
        RetriedException(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }
}
