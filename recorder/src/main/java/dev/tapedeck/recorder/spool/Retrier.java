package dev.tapedeck.recorder.spool;

import java.util.concurrent.Callable;

/**
 * Runs a storage or broker call until it succeeds, retrying with backoff and without a limit. Never retried:
 * {@link dev.tapedeck.storage.ObjectConflictException} (writing again would overwrite) and {@link Abort}.
 */
public interface Retrier {

    <T> T call(String what, Callable<T> op) throws Exception;

    /** Thrown by an operation whose caller no longer wants it (the recording was handed over meanwhile). */
    final class Abort extends RuntimeException {
        public Abort(String message) {
            super(message, null, false, false);
        }
    }
}
