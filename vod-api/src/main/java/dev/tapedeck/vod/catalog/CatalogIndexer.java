package dev.tapedeck.vod.catalog;

import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Writes the compacted {@code tapedeck.vods} into the catalog's index, in a consumer group of its own: each entry is
 * indexed once whichever replica reads it, and an entry is committed only once written. While the database cannot be
 * reached the entry waits and is written again (a backoff up to 5 s), so an outage delays the index and loses nothing.
 */
@ApplicationScoped
public class CatalogIndexer {
    private static final Logger LOG = Logger.getLogger(CatalogIndexer.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(200);
    private static final Duration MAX_RETRY = Duration.ofSeconds(5);

    private final CatalogIndex index;

    CatalogIndexer(CatalogIndex index) {
        this.index = index;
    }

    @Incoming("vods")
    @Blocking
    public void onRecord(ConsumerRecord<String, CloudEvent<?>> record) throws InterruptedException {
        if (record.value() != null && !(record.value().data() instanceof CatalogEntry)) {
            return;
        }
        if (record.value() == null && record.key() == null) {
            return;
        }
        Duration wait = FIRST_RETRY;
        for (int attempt = 1; ; attempt++) {
            try {
                if (record.value() == null) {
                    index.remove(record.key());
                } else {
                    index.put((CatalogEntry) record.value().data());
                }
                if (attempt > 1) {
                    LOG.infof("catalog entry of %s indexed after %d attempts", record.key(), attempt);
                }
                return;
            } catch (CatalogUnavailableException e) {
                if (attempt == 1) {
                    LOG.warnf("catalog entry of %s not indexed (%s); retrying until the database answers", record.key(), e.getMessage());
                }
                Thread.sleep(wait.toMillis());
                wait = wait.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : wait.multipliedBy(2);
            }
        }
    }
}
