package dev.tapedeck.recorder.spool;

import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.storage.StoredObject;
import java.nio.file.Path;
import java.util.List;

/** What the recorder needs of object storage; {@link #of(ObjectStore)} is the real one. */
public interface SliceStore {

    /** Stores an immutable object (see {@link ObjectStore#putFileOnce}). */
    StoredObject putOnce(String key, Path file, String sha256);

    /** User metadata of a slice object: the DTS of its first packet, in milliseconds. */
    String FIRST_DTS = "first-dts";
    /** User metadata of a slice object: the media time it covers, in milliseconds (up to the next slice's first DTS). */
    String DURATION = "duration";

    /** Stores an immutable object with user metadata beside its SHA-256. */
    default StoredObject putOnce(String key, Path file, String sha256, java.util.Map<String, String> metadata) {
        return putOnce(key, file, sha256);
    }

    /** An object's user metadata; empty when there is no such object. */
    default java.util.Optional<java.util.Map<String, String>> metadata(String key) {
        return java.util.Optional.empty();
    }

    /** Every object under a prefix, in key order. */
    List<StoredObject> list(String prefix);

    /** A small note's bytes ({@code state/…}), empty when there is none. */
    default java.util.Optional<byte[]> readNote(String key) {
        return java.util.Optional.empty();
    }

    /** Writes a small note ({@code state/…}), over any before it. */
    default void writeNote(String key, byte[] data) {
    }

    /** Removes a note; none there is no error. */
    default void deleteNote(String key) {
    }

    static SliceStore of(ObjectStore store) {
        return new SliceStore() {
            @Override
            public StoredObject putOnce(String key, Path file, String sha256) {
                return store.putFileOnce(key, file, "video/x-flv", sha256);
            }

            @Override
            public StoredObject putOnce(String key, Path file, String sha256, java.util.Map<String, String> metadata) {
                return store.putFileOnce(key, file, "video/x-flv", sha256, metadata);
            }

            @Override
            public java.util.Optional<java.util.Map<String, String>> metadata(String key) {
                return store.userMetadata(key);
            }

            @Override
            public java.util.Optional<byte[]> readNote(String key) {
                return store.getBytes(key);
            }

            @Override
            public void writeNote(String key, byte[] data) {
                store.putBytes(key, data, "text/plain");
            }

            @Override
            public void deleteNote(String key) {
                store.delete(key);
            }

            @Override
            public List<StoredObject> list(String prefix) {
                try {
                    return store.list(prefix);
                } catch (dev.tapedeck.storage.StorageException e) {
                    if (e.notFound()) {
                        return List.of(); // no bucket yet: nothing stored
                    }
                    throw e;
                }
            }
        };
    }
}
