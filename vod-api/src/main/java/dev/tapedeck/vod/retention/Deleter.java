package dev.tapedeck.vod.retention;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.kafka.CloudEventSerializer;
import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.storage.StoredObject;
import dev.tapedeck.vod.catalog.CatalogIndex;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Deletes a recording everywhere: notes the deletion in the index, removes every object of the recording (its slices
 * under {@code recordings/…/{id}/}, everything under {@code vod/{id}/}, the services' notes of it), writes a DELETED
 * entry and a tombstone to {@code tapedeck.vods} (acknowledged), then drops the row and the note. A deletion cut off
 * halfway stays noted and is finished by {@link #finishPending}.
 */
@ApplicationScoped
public class Deleter {
    private static final Logger LOG = Logger.getLogger(Deleter.class);

    private final CatalogIndex index;
    private final ObjectStore store;
    private final KafkaProducer<String, CloudEvent<?>> producer;
    private final Clock clock = Clock.systemUTC();

    Deleter(CatalogIndex index, ObjectStore store, @ConfigProperty(name = "kafka.bootstrap.servers") String kafka) {
        this.index = index;
        this.store = store;
        this.producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka, "acks", "all", "enable.idempotence", "true",
                "delivery.timeout.ms", "30000", "request.timeout.ms", "10000", "client.id", "tapedeck-vod-api-deleter"),
                new StringSerializer(), new CloudEventSerializer());
    }

    @PreDestroy
    void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }

    /** What a deletion found. */
    public enum Outcome { DELETED, NOT_FOUND, LIVE }

    /** Deletes {@code id} unless it is unknown or LIVE; {@code reason} is noted and logged. */
    public Outcome delete(String id, String reason) {
        Optional<CatalogIndex.Row> row = index.get(id);
        if (row.isEmpty()) {
            return Outcome.NOT_FOUND;
        }
        CatalogEntry entry = row.get().entry();
        if (entry.status() == CatalogEntry.Status.LIVE) {
            return Outcome.LIVE;
        }
        index.noteDeletion(id, entry.streamKey(), reason);
        // Another process already holds it (a sweep finishing it, another replica's DELETE): it finishes the deletion.
        index.whileHolding(lockOf(id), () -> finishIfNoted(id, entry.streamKey(), reason));
        return Outcome.DELETED;
    }

    /**
     * Finishes every deletion noted and not finished: one whose process died in it (its lock went with its connection);
     * a deletion still held by a live process is left to it. How many it finished.
     */
    public int finishPending() {
        int[] n = {0};
        for (CatalogIndex.Deletion d : index.pendingDeletions()) {
            index.whileHolding(lockOf(d.id()), () -> {
                if (finishIfNoted(d.id(), d.streamKey(), d.reason())) {
                    LOG.infof("finished the deletion of %s begun at %s (%s)", d.id(), d.requestedAt(), d.reason());
                    n[0]++;
                }
            });
        }
        return n[0];
    }

    /** The database-wide lock of one recording's deletion: whoever holds it deletes, and nobody else. */
    public static long lockOf(String id) {
        long h = 1125899906842597L;
        for (int i = 0; i < id.length(); i++) {
            h = 31 * h + id.charAt(i);
        }
        return h;
    }

    /** Under the recording's lock: finishes its deletion unless somebody did meanwhile (the note is gone); whether it did. */
    private boolean finishIfNoted(String id, String streamKey, String reason) {
        if (!index.deletionNoted(id)) {
            return false;
        }
        finish(id, streamKey, reason);
        return true;
    }

    private void finish(String id, String streamKey, String reason) {
        List<String> prefixes = new ArrayList<>();
        prefixes.add(StorageKeys.recordingDir(StreamKey.parse(streamKey), id));
        prefixes.add(StorageKeys.vodDir(id));
        prefixes.addAll(StorageKeys.stateDirs(id));
        int objects = 0;
        for (String prefix : prefixes) {
            for (StoredObject o : store.list(prefix)) {
                store.delete(o.key());
                objects++;
            }
        }
        Optional<CatalogIndex.Row> row = index.get(id);
        long now = clock.instant().getEpochSecond() * 1_000_000 + clock.instant().getNano() / 1_000;
        long version = Math.max(now, row.map(r -> r.entry().effectiveVersion() + 1).orElse(0L));
        CatalogEntry deleted = row.map(r -> deleted(r.entry(), reason, version)).orElse(null);
        try {
            if (deleted != null) {
                producer.send(new ProducerRecord<>(Topics.VODS, id, CloudEvent.of("/tapedeck/vod-api", deleted, clock)))
                        .get(30, TimeUnit.SECONDS);
            }
            producer.send(new ProducerRecord<>(Topics.VODS, id, null)).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while deleting " + id, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the catalog topic did not take the deletion of " + id + ": " + e.getMessage(), e);
        }
        index.remove(id);
        index.forgetDeletion(id);
        LOG.infof("recording %s deleted (%s): %d objects removed, tombstone written", id, reason, objects);
    }

    private CatalogEntry deleted(CatalogEntry e, String reason, long version) {
        Instant now = clock.instant();
        return new CatalogEntry(e.recordingId(), e.streamKey(), e.app(), e.stream(), CatalogEntry.Status.DELETED, e.startedAt(),
                e.endedAt(), e.durationMillis(), null, List.of(), reason, now, null, null, null, 0, e.gaps(), e.discontinuities(), version);
    }
}
