package dev.tapedeck.storage;

/**
 * An immutable object already exists with different content. Never retried: writing it again would
 * overwrite what is stored. The message names the key and both checksums.
 */
public class ObjectConflictException extends StorageException {
    private final String storedSha256;
    private final String newSha256;

    public ObjectConflictException(String message, String storedSha256, String newSha256) {
        super(message, null, false);
        this.storedSha256 = storedSha256;
        this.newSha256 = newSha256;
    }

    /** SHA-256 of the object already in the bucket. */
    public String storedSha256() {
        return storedSha256;
    }

    /** SHA-256 of the content that was not written. */
    public String newSha256() {
        return newSha256;
    }
}
