package dev.tapedeck.recorder.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.recorder.spool.SliceStore;
import dev.tapedeck.storage.StoredObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

class PullGuardTest {
    /** Notes kept in memory; slices are not this test's business. */
    static final class Notes implements SliceStore {
        final Map<String, byte[]> notes = new ConcurrentHashMap<>();
        boolean down;

        @Override
        public StoredObject putOnce(String key, Path file, String sha256) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<StoredObject> list(String prefix) {
            return List.of();
        }

        @Override
        public Optional<byte[]> readNote(String key) {
            if (down) {
                throw new IllegalStateException("storage is down");
            }
            return Optional.ofNullable(notes.get(key));
        }

        @Override
        public void writeNote(String key, byte[] data) {
            notes.put(key, data);
        }

        @Override
        public void deleteNote(String key) {
            notes.remove(key);
        }
    }

    @Test
    void pullsThatDieBeforeASliceAreCountedUntilTheLimitAndOneThatCompletedASliceIsForgotten() {
        Notes store = new Notes();
        PullGuard guard = new PullGuard(store, 2, null);
        String key = StorageKeys.recorderPulls("rec1", "source");

        assertThat(guard.begin("rec1", "source", "v/live/a")).as("the first pull").isZero();
        assertThat(guard.begin("rec1", "source", "v/live/a")).as("the one before died before a slice").isEqualTo(1);
        assertThatThrownBy(() -> guard.begin("rec1", "source", "v/live/a")).isInstanceOf(PullGuard.Exhausted.class)
                .hasMessageContaining("stopped the recorder 2 times");
        assertThat(new String(store.notes.get(key))).as("a refused pull counts nothing").isEqualTo("2");
        assertThat(guard.begin("rec1", "180p", "v/live-abr/a_180p")).as("another rendition is its own").isZero();

        guard.forget("rec1", "180p");
        Awaitility.await().until(() -> !store.notes.containsKey(StorageKeys.recorderPulls("rec1", "180p")));
        assertThat(guard.begin("rec1", "180p", "v/live-abr/a_180p")).as("after a slice, a death counts from zero").isZero();
    }

    @Test
    void storageThatDoesNotAnswerLeavesThePullUnguardedInsteadOfStoppingIt() {
        Notes store = new Notes();
        store.down = true;
        assertThat(new PullGuard(store, 2, null).begin("rec1", "source", "v/live/a")).isZero();
    }
}
