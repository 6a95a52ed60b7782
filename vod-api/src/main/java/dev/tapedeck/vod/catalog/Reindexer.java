package dev.tapedeck.vod.catalog;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.kafka.CloudEventDeserializer;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Rebuilds the catalog's index from {@code tapedeck.vods}, the source of truth: in one transaction it empties the
 * recordings' table and writes every entry of the topic from its beginning to its end as the indexer would (the newest
 * version of each recording; a tombstone removes it). Readers see the old rows until the commit; what users edited is
 * in its own table and stays. Entries written meanwhile wait for the commit and are indexed after it.
 */
@ApplicationScoped
public class Reindexer {
    private static final Logger LOG = Logger.getLogger(Reindexer.class);
    private static final int BATCH = 500;

    private final DataSource db;
    private final String kafka;

    Reindexer(DataSource db, @ConfigProperty(name = "kafka.bootstrap.servers") String kafka) {
        this.db = db;
        this.kafka = kafka;
    }

    /**
     * What a rebuild did.
     *
     * @param records  records read from the topic (entries and tombstones)
     * @param rows     recordings in the index afterwards
     * @param millis   how long it took
     */
    public record Result(long records, long rows, long millis) {
    }

    public synchronized Result reindex() {
        long began = System.nanoTime();
        long records = 0;
        try (KafkaConsumer<String, CloudEvent<?>> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka,
                "enable.auto.commit", "false", "max.poll.records", "2000", "client.id", "tapedeck-vod-api-reindex"),
                new StringDeserializer(), new CloudEventDeserializer());
                Connection c = db.getConnection()) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.VODS, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(Topics.VODS, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("delete from recording");
            }
            try (PreparedStatement upsert = c.prepareStatement(CatalogIndex.UPSERT);
                    PreparedStatement remove = c.prepareStatement("delete from recording where id = ?")) {
                int pending = 0;
                while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                    for (ConsumerRecord<String, CloudEvent<?>> r : consumer.poll(Duration.ofMillis(500))) {
                        if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition())) || r.key() == null) {
                            continue;
                        }
                        records++;
                        if (r.value() == null) {
                            // A tombstone follows what it removes in its partition: flush them first.
                            upsert.executeBatch();
                            remove.setString(1, r.key());
                            remove.executeUpdate();
                        } else if (r.value().data() instanceof CatalogEntry entry) {
                            CatalogIndex.bind(upsert, entry);
                            upsert.addBatch();
                            if (++pending % BATCH == 0) {
                                // A recording's later entry in the same batch: both apply in order, the newer wins.
                                upsert.executeBatch();
                            }
                        }
                    }
                }
                upsert.executeBatch();
            }
            // What users edited of a recording the topic no longer has goes with it.
            try (Statement s = c.createStatement()) {
                s.executeUpdate("delete from recording_edit e where not exists (select 1 from recording r where r.id = e.id)");
            }
            long rows;
            try (Statement s = c.createStatement(); var rs = s.executeQuery("select count(*) from recording")) {
                rs.next();
                rows = rs.getLong(1);
            }
            c.commit();
            // Fresh statistics for the planner: the whole table was written anew.
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                s.execute("analyze recording");
            }
            Result result = new Result(records, rows, (System.nanoTime() - began) / 1_000_000);
            LOG.infof("catalog index rebuilt from %s: %d records read, %d recordings, %d ms", Topics.VODS, records, rows, result.millis());
            return result;
        } catch (SQLException e) {
            throw new CatalogUnavailableException(e);
        }
    }
}
