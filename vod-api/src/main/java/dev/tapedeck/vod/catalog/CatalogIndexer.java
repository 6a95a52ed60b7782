package dev.tapedeck.vod.catalog;

import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * Writes the compacted {@code tapedeck.vods} into the catalog's index, in a consumer group of its own: each entry is
 * indexed once whichever replica reads it, and an entry is committed only once written. Records come in batches (what
 * one poll gives), each written in one transaction, in order. While the database cannot be
 * reached the entry waits and is written again (a backoff up to 5 s), so an outage delays the index and loses nothing.
 */
@ApplicationScoped
public class CatalogIndexer {
    private static final Logger LOG = Logger.getLogger(CatalogIndexer.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(200);
    private static final Duration MAX_RETRY = Duration.ofSeconds(5);
    /** The header SmallRye puts on a record whose value could not be read (its value is then null). */
    private static final String DESERIALIZATION_FAILURE = "deserialization-failure-reason";

    private final CatalogIndex index;

    CatalogIndexer(CatalogIndex index) {
        this.index = index;
    }

    @Incoming("vods")
    @Blocking
    public void onBatch(ConsumerRecords<String, CloudEvent<?>> records) throws InterruptedException {
        List<ConsumerRecord<String, CloudEvent<?>>> batch = new ArrayList<>();
        for (ConsumerRecord<String, CloudEvent<?>> r : records) {
            if (r.key() == null || r.value() != null && !(r.value().data() instanceof CatalogEntry)) {
                continue;
            }
            if (r.value() == null && r.headers().lastHeader(DESERIALIZATION_FAILURE) != null) {
                // Not a tombstone: a record this version cannot read. Never a reason to remove a recording.
                LOG.warnf("catalog record of %s at %s-%d:%d cannot be read; left out of the index", r.key(), r.topic(), r.partition(),
                        r.offset());
                continue;
            }
            batch.add(r);
        }
        if (batch.isEmpty()) {
            return;
        }
        Duration wait = FIRST_RETRY;
        for (int attempt = 1; ; attempt++) {
            try {
                index.apply(batch);
                if (attempt > 1) {
                    LOG.infof("%d catalog records indexed after %d attempts", batch.size(), attempt);
                }
                return;
            } catch (CatalogUnavailableException e) {
                if (attempt == 1) {
                    LOG.warnf("%d catalog records not indexed (%s); retrying until the database answers", batch.size(), e.getMessage());
                }
                Thread.sleep(wait.toMillis());
                wait = wait.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : wait.multipliedBy(2);
            }
        }
    }
}
