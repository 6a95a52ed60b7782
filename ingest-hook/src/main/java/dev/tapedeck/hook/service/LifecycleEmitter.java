package dev.tapedeck.hook.service;

import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import io.smallrye.mutiny.TimeoutException;
import io.smallrye.mutiny.Uni;
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

    /**
     * Sends the publish to both topics at once and waits for both acknowledgements within the callback's budget;
     * throws {@link NotAcknowledgedException} when they do not come in time.
     */
    public void published(StreamPublished event, Budget budget) {
        CloudEvent<StreamPublished> ce = CloudEvent.of(SOURCE, event, clock);
        await(budget, event.streamKey(), ce.type(), streams.send(Record.of(event.streamKey(), ce)),
                live.send(Record.of(event.streamKey(), ce)));
    }

    /** Sends the unpublish and the tombstone of the live session at once, within the callback's budget. */
    public void unpublished(StreamUnpublished event, Budget budget) {
        CloudEvent<StreamUnpublished> ce = CloudEvent.of(SOURCE, event, clock);
        await(budget, event.streamKey(), ce.type(), streams.send(Record.of(event.streamKey(), ce)),
                live.send(Record.<String, CloudEvent<?>>of(event.streamKey(), null)));
    }

    private static void await(Budget budget, String key, String type, Uni<Void> first, Uni<Void> second) {
        try {
            // The producer may block the subscribing thread on metadata while the broker is away: subscribe on a
            // worker so this thread answers when the budget is spent.
            Uni.combine().all().unis(first, second).discardItems()
                    .runSubscriptionOn(io.smallrye.mutiny.infrastructure.Infrastructure.getDefaultWorkerPool())
                    .await().atMost(budget.remaining().isZero()
                    ? Duration.ofMillis(1) : budget.remaining());
        } catch (TimeoutException e) {
            throw new NotAcknowledgedException("Kafka did not acknowledge " + type + " for " + key + " within the hook's budget", e);
        } catch (RuntimeException e) {
            throw new NotAcknowledgedException("Kafka refused " + type + " for " + key + ": " + e.getMessage(), e);
        }
    }

    /** The broker did not take an event in time. */
    public static class NotAcknowledgedException extends RuntimeException {
        public NotAcknowledgedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
