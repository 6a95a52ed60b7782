package dev.tapedeck.contract.kafka;

import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.EventCodec;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/** Writes a {@link CloudEvent} in Kafka binary mode: {@code ce_*} headers and JSON data. */
public class CloudEventSerializer implements Serializer<CloudEvent<?>> {

    @Override
    public byte[] serialize(String topic, CloudEvent<?> event) {
        throw new IllegalStateException("CloudEvents in binary mode need record headers");
    }

    @Override
    public byte[] serialize(String topic, Headers headers, CloudEvent<?> event) {
        if (event == null) {
            return null; // a tombstone
        }
        EventCodec.headers(event).forEach((k, v) -> {
            headers.remove(k);
            headers.add(k, v.getBytes(StandardCharsets.UTF_8));
        });
        return EventCodec.data(event);
    }
}
