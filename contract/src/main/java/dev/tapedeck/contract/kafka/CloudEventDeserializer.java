package dev.tapedeck.contract.kafka;

import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.EventCodec;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads a {@link CloudEvent} from Kafka binary mode. A tombstone gives null; a record that is not one
 * of our events throws {@link EventCodec.MalformedEventException} with the reason.
 */
public class CloudEventDeserializer implements Deserializer<CloudEvent<?>> {

    @Override
    public CloudEvent<?> deserialize(String topic, byte[] data) {
        throw new IllegalStateException("CloudEvents in binary mode need record headers");
    }

    @Override
    public CloudEvent<?> deserialize(String topic, Headers headers, byte[] data) {
        if (data == null) {
            return null;
        }
        Map<String, String> map = new HashMap<>();
        for (Header h : headers) {
            if (h.value() != null) {
                map.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
            }
        }
        return EventCodec.fromBinary(map, data);
    }
}
