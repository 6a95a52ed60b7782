package dev.tapedeck.contract.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * JSON for CloudEvents in Kafka binary mode ({@code ce_*} headers, JSON data) and in structured mode
 * (one JSON document, used for the golden samples and logs).
 */
public final class EventCodec {
    public static final String CONTENT_TYPE = "application/json";
    public static final String H_SPECVERSION = "ce_specversion";
    public static final String H_ID = "ce_id";
    public static final String H_TYPE = "ce_type";
    public static final String H_SOURCE = "ce_source";
    public static final String H_TIME = "ce_time";
    public static final String H_SUBJECT = "ce_subject";
    public static final String H_CONTENT_TYPE = "content-type";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private EventCodec() {
    }

    /** The mapper used for event data: ISO-8601 instants, unknown fields ignored (forward compatible). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** The {@code ce_*} headers of an event, in order. */
    public static Map<String, String> headers(CloudEvent<?> event) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(H_SPECVERSION, CloudEvent.SPEC_VERSION);
        h.put(H_ID, event.id());
        h.put(H_TYPE, event.type());
        h.put(H_SOURCE, event.source().toString());
        if (event.time() != null) {
            h.put(H_TIME, event.time().toString());
        }
        if (event.subject() != null) {
            h.put(H_SUBJECT, event.subject());
        }
        h.put(H_CONTENT_TYPE, CONTENT_TYPE);
        return h;
    }

    /** The data as JSON bytes. */
    public static byte[] data(CloudEvent<?> event) {
        try {
            return MAPPER.writeValueAsBytes(event.data());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rebuilds an event from binary-mode headers and JSON data. */
    public static CloudEvent<?> fromBinary(Map<String, String> headers, byte[] data) {
        String spec = headers.get(H_SPECVERSION);
        if (!CloudEvent.SPEC_VERSION.equals(spec)) {
            throw new MalformedEventException("not a CloudEvent 1.0 (ce_specversion=" + spec + ")");
        }
        String type = require(headers, H_TYPE);
        EventType eventType = EventType.ofType(type)
                .orElseThrow(() -> new MalformedEventException("unknown event type '" + type + "'"));
        if (data == null) {
            throw new MalformedEventException("event " + headers.get(H_ID) + " has no data");
        }
        TapedeckEvent payload;
        try {
            payload = MAPPER.readValue(data, eventType.dataClass());
        } catch (JsonProcessingException e) {
            throw new MalformedEventException("data of " + type + " " + headers.get(H_ID) + " is not valid: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String time = headers.get(H_TIME);
        return new CloudEvent<>(require(headers, H_ID), type, URI.create(require(headers, H_SOURCE)),
                time == null ? null : Instant.parse(time), headers.get(H_SUBJECT), payload);
    }

    /** The event as one structured-mode JSON document. */
    public static String toStructured(CloudEvent<?> event) {
        ObjectNode node = MAPPER.createObjectNode();
        headers(event).forEach((k, v) -> {
            if (k.startsWith("ce_")) {
                node.put(k.substring(3), v);
            }
        });
        node.put("datacontenttype", CONTENT_TYPE);
        node.set("data", MAPPER.valueToTree(event.data()));
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses a structured-mode JSON document. */
    public static CloudEvent<?> fromStructured(String json) {
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new MalformedEventException("not JSON: " + e.getMessage());
        }
        Map<String, String> headers = new LinkedHashMap<>();
        node.fields().forEachRemaining(f -> {
            if (!f.getKey().equals("data") && f.getValue().isValueNode()) {
                headers.put("ce_" + f.getKey(), f.getValue().asText());
            }
        });
        JsonNode data = node.get("data");
        return fromBinary(headers, data == null ? null : data.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static String require(Map<String, String> headers, String name) {
        String value = headers.get(name);
        if (value == null || value.isBlank()) {
            throw new MalformedEventException("CloudEvent header " + name + " is missing");
        }
        return value;
    }

    /** A record that is not a Tapedeck CloudEvent; the message says what is wrong. */
    public static final class MalformedEventException extends RuntimeException {
        public MalformedEventException(String message) {
            super(message);
        }
    }
}
