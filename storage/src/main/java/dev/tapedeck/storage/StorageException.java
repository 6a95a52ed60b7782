package dev.tapedeck.storage;

/** An object-store call failed; the message names the operation, the bucket and the key. */
public class StorageException extends RuntimeException {
    private final boolean notFound;

    public StorageException(String message, Throwable cause, boolean notFound) {
        super(message, cause);
        this.notFound = notFound;
    }

    /** True when the object (or bucket) does not exist, as opposed to a failure to reach the store. */
    public boolean notFound() {
        return notFound;
    }
}
