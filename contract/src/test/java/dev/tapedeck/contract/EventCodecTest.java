package dev.tapedeck.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapedeck.contract.event.EventCodec;
import dev.tapedeck.contract.event.EventCodec.MalformedEventException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventCodecTest {

    private static final Map<String, String> HEADERS = Map.of(
            "ce_specversion", "1.0", "ce_id", "1", "ce_type", "dev.tapedeck.stream.unpublished",
            "ce_source", "/tapedeck/test");

    @Test
    void unknownTypeIsRejectedWithItsName() {
        var headers = new java.util.HashMap<>(HEADERS);
        headers.put("ce_type", "com.example.other");
        assertThatThrownBy(() -> EventCodec.fromBinary(headers, "{}".getBytes()))
                .isInstanceOf(MalformedEventException.class).hasMessageContaining("com.example.other");
    }

    @Test
    void missingSpecVersionIsRejected() {
        assertThatThrownBy(() -> EventCodec.fromBinary(Map.of("ce_type", "x"), "{}".getBytes()))
                .isInstanceOf(MalformedEventException.class).hasMessageContaining("CloudEvent 1.0");
    }

    @Test
    void invalidJsonDataIsRejectedWithTheEventId() {
        assertThatThrownBy(() -> EventCodec.fromBinary(HEADERS, "{not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(MalformedEventException.class).hasMessageContaining("is not valid");
    }

    @Test
    void validDataDecodes() {
        var event = EventCodec.fromBinary(HEADERS, "{\"streamKey\":\"v/live/a\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(event.data().subject()).isEqualTo("v/live/a");
    }
}
