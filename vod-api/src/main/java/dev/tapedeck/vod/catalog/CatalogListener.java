package dev.tapedeck.vod.catalog;

import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/** Materializes the compacted catalog topic; a tombstone removes the recording. */
@ApplicationScoped
public class CatalogListener {
    private final Catalog catalog;

    CatalogListener(Catalog catalog) {
        this.catalog = catalog;
    }

    @Incoming("vods")
    public void onRecord(ConsumerRecord<String, CloudEvent<?>> record) {
        if (record.value() == null) {
            if (record.key() != null) {
                catalog.remove(record.key());
            }
            return;
        }
        if (record.value().data() instanceof CatalogEntry entry) {
            catalog.put(entry);
        }
    }
}
