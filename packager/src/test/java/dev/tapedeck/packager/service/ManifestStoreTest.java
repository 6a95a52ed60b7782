package dev.tapedeck.packager.service;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.event.EventCodec;
import dev.tapedeck.packager.hls.Manifest;
import dev.tapedeck.storage.StorageException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The manifest's bounded save rate, over an in-memory bucket: what is saved, when, and when its events may be acknowledged. */
class ManifestStoreTest {
    private final Map<String, byte[]> bucket = new ConcurrentHashMap<>();
    private final AtomicInteger puts = new AtomicInteger();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private final List<long[]> putTimes = new CopyOnWriteArrayList<>();

    private ManifestStore store(Duration interval) {
        return new ManifestStore((key, json) -> {
            long began = System.nanoTime();
            if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new StorageException("S3 unreachable", null, false);
            }
            bucket.put(key, json);
            puts.incrementAndGet();
            putTimes.add(new long[] {began, System.nanoTime()});
        }, key -> Optional.ofNullable(bucket.get(key)), interval, Duration.ofMillis(20), Duration.ofMillis(80), () -> {
        });
    }

    private static Manifest manifest(String id) {
        Manifest m = new Manifest();
        m.recordingId = id;
        return m;
    }

    private static void change(ManifestStore store, Manifest m, String stream) {
        synchronized (m) {
            m.stream = stream;
            store.changed(m);
        }
    }

    private String savedStream(String id) throws Exception {
        JsonNode json = EventCodec.mapper().readTree(bucket.get(StorageKeys.manifest(id)));
        return json.path("stream").asText();
    }

    @Test
    void changesWithinTheIntervalAreSavedTogetherAndAcknowledgedOnlyOnceSaved() throws Exception {
        ManifestStore store = store(Duration.ofHours(1));
        Manifest m = store.open("rec-1", () -> manifest("rec-1"));
        change(store, m, "first");
        // The first change of a recording is saved at once (no save before it to keep the interval from).
        store.saved("rec-1").toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(puts).hasValue(1);
        assertThat(savedStream("rec-1")).isEqualTo("first");

        for (int i = 0; i < 50; i++) {
            change(store, m, "change-" + i);
        }
        CompletableFuture<Void> saved = store.saved("rec-1").toCompletableFuture();
        assertThat(saved).as("fifty changes within the interval: not saved yet, so not acknowledged").isNotDone();
        assertThat(puts).hasValue(1);
        assertThat(savedStream("rec-1")).isEqualTo("first");

        synchronized (m) {
            m.stream = "final";
            store.saveNow(m); // a status change
        }
        assertThat(saved).as("the save that came next covers every change before it").isDone();
        assertThat(puts).hasValue(2);
        assertThat(savedStream("rec-1")).isEqualTo("final");
        assertThat(store.saved("rec-1").toCompletableFuture()).as("nothing left to save").isDone();
    }

    @Test
    void aChangeWithinTheIntervalIsSavedOnceTheIntervalHasPassed() throws Exception {
        ManifestStore store = store(Duration.ofMillis(300));
        Manifest m = store.open("rec-2", () -> manifest("rec-2"));
        change(store, m, "first");
        store.saved("rec-2").toCompletableFuture().get(10, TimeUnit.SECONDS);
        change(store, m, "second");
        change(store, m, "third");
        store.saved("rec-2").toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(putTimes).as("one save for both changes").hasSize(2);
        assertThat(putTimes.get(1)[0] - putTimes.get(0)[1]).as("not before the interval after the first save")
                .isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
        assertThat(savedStream("rec-2")).isEqualTo("third");
    }

    @Test
    void aDeferredSaveThatFailsIsRetriedWithTheChangesKeptAndItsEventsWaitForIt() throws Exception {
        ManifestStore store = store(Duration.ofMillis(100));
        Manifest m = store.open("rec-3", () -> manifest("rec-3"));
        failuresLeft.set(3);
        change(store, m, "kept");
        CompletableFuture<Void> saved = store.saved("rec-3").toCompletableFuture();
        saved.get(10, TimeUnit.SECONDS);
        assertThat(failuresLeft).as("three failed attempts before it").hasValue(0);
        assertThat(puts).hasValue(1);
        assertThat(savedStream("rec-3")).isEqualTo("kept");
        assertThat(store.load("rec-3")).containsSame(m);
    }

    @Test
    void aSaveNowThatFailsPassesTheErrorAndKeepsTheChangeToSave() {
        ManifestStore store = store(Duration.ofHours(1));
        Manifest m = store.open("rec-4", () -> manifest("rec-4"));
        failuresLeft.set(1);
        StorageException thrown = null;
        synchronized (m) {
            m.stream = "ended";
            try {
                store.saveNow(m);
            } catch (StorageException e) {
                thrown = e;
            }
        }
        assertThat(thrown).as("the caller's step is retried").isNotNull();
        assertThat(store.saved("rec-4").toCompletableFuture()).isNotDone();
        synchronized (m) {
            store.saveNow(m);
        }
        assertThat(store.saved("rec-4").toCompletableFuture()).isDone();
    }
}
