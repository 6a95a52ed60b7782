package dev.tapedeck.packager.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.event.EventCodec;
import dev.tapedeck.packager.hls.Manifest;
import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.storage.Retry;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Loads and saves manifests in object storage, with a small in-memory cache of recent recordings. */
@ApplicationScoped
public class ManifestStore {
    private static final int CACHE = 256;
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
    }

    public synchronized Optional<Manifest> load(String recordingId) {
        Manifest cached = cache.get(recordingId);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<byte[]> json = Retry.DEFAULT.run("load manifest " + recordingId, () -> store.getBytes(StorageKeys.manifest(recordingId)));
        return json.map(bytes -> {
            try {
                Manifest m = mapper.readValue(bytes, Manifest.class);
                cache.put(recordingId, m);
                return m;
            } catch (IOException e) {
                throw new UncheckedIOException("manifest of " + recordingId + " is not readable", e);
            }
        });
    }

    public synchronized void save(Manifest m) {
        try {
            byte[] json = mapper.writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
            Retry.DEFAULT.run("save manifest " + m.recordingId, () -> {
                store.putBytes(StorageKeys.manifest(m.recordingId), json, "application/json");
                return null;
            });
            cache.put(m.recordingId, m);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
