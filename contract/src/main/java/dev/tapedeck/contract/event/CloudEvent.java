package dev.tapedeck.contract.event;

import dev.tapedeck.contract.Ids;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * A CloudEvents 1.0 envelope around one Tapedeck event.
 *
 * @param id      unique per event; consumers dedup on it
 * @param type    {@code dev.tapedeck.stream.published} …
 * @param source  the producing service, {@code /tapedeck/ingest-hook}
 * @param time    when the event happened
 * @param subject the streamKey
 * @param data    the event record
 */
public record CloudEvent<T extends TapedeckEvent>(String id, String type, URI source, Instant time, String subject, T data) {

    public static final String SPEC_VERSION = "1.0";

    public CloudEvent {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(data, "data");
    }

    /** Wraps {@code data} in a new envelope with a fresh id. */
    public static <T extends TapedeckEvent> CloudEvent<T> of(String service, T data, Clock clock) {
        return new CloudEvent<>(Ids.uuid7(clock), EventType.of(data).type(), URI.create("/tapedeck/" + service),
                clock.instant(), data.subject(), data);
    }
}
