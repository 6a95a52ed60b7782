package dev.tapedeck.recorder.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.recorder.spool.SliceStore;
import dev.tapedeck.storage.StoredObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The crash guard across replica lives: a life that is abandoned (its tickets neither checked past their window nor
 * ended) is a replica that died.
 */
class PullGuardTest {
    static final Duration WINDOW = Duration.ofMillis(300);

    /** Notes kept in memory; slices are not this test's business. */
    static final class Notes implements SliceStore {
        final Map<String, byte[]> notes = new ConcurrentSkipListMap<>();
        volatile boolean down;
        /** While set and not open, removals wait for it, as on a slow object store. */
        volatile java.util.concurrent.CountDownLatch deletes;

        @Override
        public StoredObject putOnce(String key, Path file, String sha256) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<StoredObject> list(String prefix) {
            return notes.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                    .map(e -> new StoredObject(e.getKey(), e.getValue().length, "", "text/plain", Instant.EPOCH)).toList();
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
            java.util.concurrent.CountDownLatch gate = deletes;
            if (gate != null) {
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            notes.remove(key);
        }
    }

    final Notes store = new Notes();

    PullGuard life(String name) {
        return new PullGuard(store, name, 2, WINDOW, null);
    }

    @Test
    void aRenditionThatKillsItsReplicaAloneTwiceIsGivenUpAndOneThatDiedBesideOthersGetsNoStrike() throws Exception {
        // Life a dies with one pull at risk: a strike for it.
        life("a").begin("rec1", "source", "v/live/poison", () -> false);
        PullGuard.Ticket second = life("b").begin("rec1", "source", "v/live/poison", () -> false);
        assertThat(second.strikes).as("its replica died with only this pull at risk").isEqualTo(1);
        assertThat(second.suspect).isTrue();
        // Life b dies of it too: given up, and nothing is noted for a pull that does not begin.
        assertThatThrownBy(() -> life("c").begin("rec1", "source", "v/live/poison", () -> false))
                .isInstanceOf(PullGuard.Exhausted.class).hasMessageContaining("stopped the recorder 2 times");
        assertThat(store.notes).doesNotContainKey(StorageKeys.recorderLifePull("c", "rec1", "source"));

        // Life d dies with two pulls at risk: neither gets a strike; both are suspects.
        PullGuard d = life("d");
        d.begin("rec2", "source", "v/live/x", () -> false);
        d.begin("rec3", "source", "v/live/y", () -> false);
        PullGuard e = life("e");
        PullGuard.Ticket x = e.begin("rec2", "source", "v/live/x", () -> false);
        assertThat(x.strikes).as("a death shared with another pull at risk").isZero();
        assertThat(x.suspect).isTrue();
        x.end();
        PullGuard.Ticket y = e.begin("rec3", "source", "v/live/y", () -> false);
        assertThat(y.strikes).isZero();
        assertThat(y.suspect).isTrue();
    }

    @Test
    void aSuspectBeginsOnlyOnceNoOtherPullOfItsReplicaIsAtRisk() throws Exception {
        life("a").begin("rec1", "source", "v/live/a", () -> false); // a dies with it
        PullGuard b = life("b");
        PullGuard.Ticket other = b.begin("rec2", "source", "v/live/other", () -> false);
        assertThat(other.suspect).as("no note: not a suspect, and it did not wait").isFalse();

        CompletableFuture<PullGuard.Ticket> suspect = CompletableFuture.supplyAsync(() -> {
            try {
                return b.begin("rec1", "source", "v/live/a", () -> false);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Awaitility.await().pollDelay(Duration.ofMillis(50)).during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(1))
                .until(() -> !suspect.isDone());
        assertThat(store.notes).as("a suspect notes nothing while it waits")
                .doesNotContainKey(StorageKeys.recorderLifePull("b", "rec1", "source"));
        other.end();
        PullGuard.Ticket alone = suspect.get(5, TimeUnit.SECONDS);
        assertThat(alone.strikes).isEqualTo(1);
        assertThat(store.list(StorageKeys.recorderLife("b"))).extracting(StoredObject::key)
                .containsExactly(StorageKeys.recorderLifePull("b", "rec1", "source"));
    }

    @Test
    void aSuspectBeginsOnlyOnceTheNotesOfAPullThatRanItsWindowAreGone() throws Exception {
        life("a").begin("rec1", "source", "v/live/a", () -> false); // a dies with it
        PullGuard b = life("b");
        PullGuard.Ticket other = b.begin("rec2", "source", "v/live/other", () -> false);
        store.deletes = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<PullGuard.Ticket> suspect = CompletableFuture.supplyAsync(() -> {
            try {
                return b.begin("rec1", "source", "v/live/a", () -> false);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        // The other pull runs past its window; its notes are being removed and are not gone yet.
        Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() -> {
            other.check();
            return other.over();
        });
        Awaitility.await().pollDelay(Duration.ofMillis(50)).during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1))
                .until(() -> !suspect.isDone());
        store.deletes.countDown();
        suspect.get(5, TimeUnit.SECONDS);
        // Were b to die now, its life must show the suspect alone: the other pull was past its window.
        assertThat(store.list(StorageKeys.recorderLife("b"))).extracting(StoredObject::key)
                .containsExactly(StorageKeys.recorderLifePull("b", "rec1", "source"));
        assertThat(suspect.get().strikes).isEqualTo(1);
    }

    @Test
    void aPullThatRanItsWindowOrEndedLeavesNothingSoItsReplicaDyingLaterCountsNothing() throws Exception {
        PullGuard a = life("a");
        PullGuard.Ticket ran = a.begin("rec1", "source", "v/live/a", () -> false);
        PullGuard.Ticket ended = a.begin("rec2", "source", "v/live/b", () -> false);
        ended.end();
        assertThat(store.notes).doesNotContainKeys(StorageKeys.recorderPull("rec2", "source"), StorageKeys.recorderLifePull("a", "rec2", "source"));
        ran.check();
        assertThat(store.notes).as("still in its window").containsKey(StorageKeys.recorderPull("rec1", "source"));
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
            ran.check();
            return store.notes.isEmpty();
        });

        PullGuard.Ticket next = life("b").begin("rec1", "source", "v/live/a", () -> false);
        assertThat(next.strikes).isZero();
        assertThat(next.suspect).isFalse();
    }

    @Test
    void storageThatDoesNotAnswerLeavesThePullUnguardedInsteadOfStoppingIt() throws Exception {
        store.down = true;
        PullGuard.Ticket t = life("a").begin("rec1", "source", "v/live/a", () -> false);
        assertThat(t.strikes).isZero();
        assertThat(t.suspect).isFalse();
    }
}
