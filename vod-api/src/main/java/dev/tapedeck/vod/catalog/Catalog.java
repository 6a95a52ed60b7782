package dev.tapedeck.vod.catalog;

import dev.tapedeck.contract.event.CatalogEntry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The catalog as this replica materialized it from {@code tapedeck.vods}. */
@ApplicationScoped
public class Catalog {
    private final Map<String, CatalogEntry> entries = new ConcurrentHashMap<>();

    public void put(CatalogEntry entry) {
        entries.merge(entry.recordingId(), entry, (old, neu) -> neu.updatedAt() != null && old.updatedAt() != null
                && neu.updatedAt().isBefore(old.updatedAt()) ? old : neu);
    }

    public void remove(String recordingId) {
        entries.remove(recordingId);
    }

    public Optional<CatalogEntry> get(String recordingId) {
        return Optional.ofNullable(entries.get(recordingId));
    }

    /** Newest first (recording ids are time-sortable). */
    public List<CatalogEntry> list() {
        return entries.values().stream()
                .filter(e -> e.status() != CatalogEntry.Status.DELETED)
                .sorted(Comparator.comparing(CatalogEntry::recordingId).reversed())
                .toList();
    }
}
