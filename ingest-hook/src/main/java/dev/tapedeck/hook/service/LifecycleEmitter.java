package dev.tapedeck.hook.service;

import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import io.smallrye.mutiny.TimeoutException;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * Writes lifecycle events and waits for the broker's acknowledgement: {@code tapedeck.streams} gets every
 * event, the compacted {@code tapedeck.live} the current session (a tombstone when it ends).
 */
@ApplicationScoped
public class LifecycleEmitter {
    static final String SOURCE = "ingest-hook";

    private final MutinyEmitter<Record<String, CloudEvent<?>>> streams;
    private final MutinyEmitter<Record<String, CloudEvent<?>>> live;
    private final Clock clock;

    LifecycleEmitter(@Channel("streams-out") MutinyEmitter<Record<String, CloudEvent<?>>> streams,
            @Channel("live-out") MutinyEmitter<Record<String, CloudEvent<?>>> live, Clock clock) {
        this.streams = streams;
        this.live = live;
        this.clock = clock;
    }

    /** Sends the publish to both topics; throws {@link NotAcknowledgedException} when not acknowledged in time. */
    public void published(StreamPublished event, Duration timeout) {
        CloudEvent<StreamPublished> ce = CloudEvent.of(SOURCE, event, clock);
        send(streams, event.streamKey(), ce, timeout);
        send(live, event.streamKey(), ce, timeout);
    }

    /** Sends the unpublish, then the tombstone of the live session. */
    public void unpublished(StreamUnpublished event, Duration timeout) {
        send(streams, event.streamKey(), CloudEvent.of(SOURCE, event, clock), timeout);
        send(live, event.streamKey(), null, timeout);
    }

    private static void send(MutinyEmitter<Record<String, CloudEvent<?>>> emitter, String key, CloudEvent<?> event, Duration timeout) {
        try {
            emitter.send(Record.of(key, event)).await().atMost(timeout);
        } catch (TimeoutException e) {
            throw new NotAcknowledgedException("Kafka did not acknowledge " + (event == null ? "the live tombstone" : event.type())
                    + " for " + key + " within " + timeout.toMillis() + " ms", e);
        } catch (RuntimeException e) {
            throw new NotAcknowledgedException("Kafka refused " + (event == null ? "the live tombstone" : event.type())
                    + " for " + key + ": " + e.getMessage(), e);
        }
    }

    /** The broker did not take an event in time. */
    public static class NotAcknowledgedException extends RuntimeException {
        public NotAcknowledgedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
