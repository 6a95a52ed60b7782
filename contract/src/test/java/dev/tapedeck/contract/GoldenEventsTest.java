package dev.tapedeck.contract;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.EventCodec;
import dev.tapedeck.contract.event.EventType;
import dev.tapedeck.contract.kafka.CloudEventDeserializer;
import dev.tapedeck.contract.kafka.CloudEventSerializer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GoldenEventsTest {

    @ParameterizedTest
    @CsvSource({
        "stream-published.json, STREAM_PUBLISHED",
        "stream-unpublished.json, STREAM_UNPUBLISHED",
        "slice-stored.json, SLICE_STORED",
        "recording-closed.json, RECORDING_CLOSED",
        "catalog-entry.json, CATALOG_ENTRY",
        "job-status-changed.json, JOB_STATUS_CHANGED"
    })
    void goldenSampleRoundTripsThroughStructuredAndKafkaBinaryMode(String file, EventType type) throws IOException {
        String golden = read(file);
        CloudEvent<?> event = EventCodec.fromStructured(golden);
        assertThat(event.data()).isInstanceOf(type.dataClass());
        assertThat(event.type()).isEqualTo(type.type());
        assertThat(event.subject()).isEqualTo(event.data().subject());

        assertThat(tree(EventCodec.toStructured(event))).isEqualTo(tree(golden));

        RecordHeaders headers = new RecordHeaders();
        byte[] value = new CloudEventSerializer().serialize("t", headers, event);
        assertThat(new String(headers.lastHeader("ce_type").value(), StandardCharsets.UTF_8)).isEqualTo(type.type());
        assertThat(new String(headers.lastHeader("content-type").value(), StandardCharsets.UTF_8)).isEqualTo("application/json");
        CloudEvent<?> back = new CloudEventDeserializer().deserialize("t", headers, value);
        assertThat(back).isEqualTo(event);
        assertThat(tree(new String(value, StandardCharsets.UTF_8))).isEqualTo(tree(golden).get("data"));
    }

    @ParameterizedTest
    @CsvSource({"stream-published.json", "slice-stored.json"})
    void unknownDataFieldsAreIgnoredForForwardCompatibility(String file) throws IOException {
        JsonNode golden = tree(read(file));
        ((com.fasterxml.jackson.databind.node.ObjectNode) golden.get("data")).put("addedLater", 42);
        CloudEvent<?> event = EventCodec.fromStructured(golden.toString());
        assertThat(tree(EventCodec.toStructured(event)).get("data").has("addedLater")).isFalse();
    }

    static String read(String file) throws IOException {
        try (InputStream in = GoldenEventsTest.class.getResourceAsStream("/events/" + file)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static JsonNode tree(String json) throws IOException {
        return EventCodec.mapper().readTree(json);
    }

}
