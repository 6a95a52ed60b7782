package dev.tapedeck.packager.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.event.EventCodec;
import dev.tapedeck.packager.hls.Manifest;
import dev.tapedeck.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Loads and saves manifests in object storage, with an in-memory cache of recent recordings. Storage errors pass to
 * the caller (its step is retried). Every rendition lane of a recording gets the same Manifest object (callers update
 * it under its monitor): a recording is loaded by one thread at a time, and a new one is cached before it is saved.
 */
@ApplicationScoped
public class ManifestStore {
    private static final int CACHE = 1024;
    private final Object[] loading = new Object[64];
    private final ObjectStore store;
    private final ObjectMapper mapper = EventCodec.mapper();
    private final Map<String, Manifest> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Manifest> eldest) {
            return size() > CACHE;
        }
    };

    ManifestStore(ObjectStore store) {
        this.store = store;
        for (int i = 0; i < loading.length; i++) {
            loading[i] = new Object();
        }
    }

    /** The recording's manifest: cached, else from the bucket, else {@code create}'s (cached, not yet saved). */
    public Manifest open(String recordingId, java.util.function.Supplier<Manifest> create) {
        synchronized (loading[Math.floorMod(recordingId.hashCode(), loading.length)]) {
            Manifest m = load(recordingId).orElse(null);
            if (m == null) {
                m = create.get();
                synchronized (cache) {
                    cache.put(recordingId, m);
                }
            }
            return m;
        }
    }

    public Optional<Manifest> load(String recordingId) {
        synchronized (loading[Math.floorMod(recordingId.hashCode(), loading.length)]) {
            return loadOnce(recordingId);
        }
    }

    private Optional<Manifest> loadOnce(String recordingId) {
        synchronized (cache) {
            Manifest cached = cache.get(recordingId);
            if (cached != null) {
                return Optional.of(cached);
            }
        }
        Optional<byte[]> json = store.getBytes(StorageKeys.manifest(recordingId));
        return json.map(bytes -> {
            try {
                Manifest m = mapper.readValue(bytes, Manifest.class);
                synchronized (cache) {
                    cache.put(recordingId, m);
                }
                return m;
            } catch (IOException e) {
                throw new UncheckedIOException("manifest of " + recordingId + " is not readable", e);
            }
        });
    }

    public void save(Manifest m) {
        byte[] json;
        try {
            json = mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        store.putBytes(StorageKeys.manifest(m.recordingId), json, "application/json");
        synchronized (cache) {
            cache.put(m.recordingId, m);
        }
    }

    /** Drops what is cached of a recording: a step failed halfway, its retry starts from what the bucket holds. */
    public void forget(String recordingId) {
        synchronized (cache) {
            cache.remove(recordingId);
        }
    }
}
