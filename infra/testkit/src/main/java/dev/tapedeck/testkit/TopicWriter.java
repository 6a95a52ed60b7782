package dev.tapedeck.testkit;

import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.kafka.CloudEventSerializer;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/** Writes one record the way the services do (CloudEvents binary mode), for tests that play a service's part. */
public final class TopicWriter {
    private TopicWriter() {
    }

    /** Sends {@code event} ({@code null} for a tombstone) and waits for the broker's acknowledgement. */
    public static RecordMetadata send(String bootstrapServers, String topic, String key, CloudEvent<?> event) throws Exception {
        return send(bootstrapServers, topic, key, event, null);
    }

    /** The same with headers of the record's own (the services' event headers are added to them). */
    public static RecordMetadata send(String bootstrapServers, String topic, String key, CloudEvent<?> event,
            org.apache.kafka.common.header.Headers headers) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrapServers);
        try (var producer = new KafkaProducer<String, CloudEvent<?>>(p, new StringSerializer(), new CloudEventSerializer())) {
            return producer.send(new ProducerRecord<>(topic, null, key, event, headers)).get();
        }
    }
}
