package dev.tapedeck.hook.service;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import dev.tapedeck.contract.kafka.LiveEndHeaders;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * Writes lifecycle events: {@code tapedeck.streams} gets every event, the compacted {@code tapedeck.live} the
 * current session (a tombstone when it ends, saying which session ended: {@link LiveEndHeaders}). A
 * {@link Delivery} is the records of one event; its sends start at once and complete when the broker acknowledged
 * all of them. Both topics go through one producer, so a callback's records travel together.
 */
@ApplicationScoped
public class LifecycleEmitter {
    static final String SOURCE = "ingest-hook";

    private final MutinyEmitter<Record<String, CloudEvent<?>>> out;
    private final Clock clock;

    LifecycleEmitter(@Channel("lifecycle-out") MutinyEmitter<Record<String, CloudEvent<?>>> out, Clock clock) {
        this.out = out;
        this.clock = clock;
    }

    /** One record of a delivery; a null event is the tombstone of the stream's live session. */
    public record Out(String topic, CloudEvent<?> event) {
    }

    /** Everything written for one callback, in the order it must reach the broker relative to the stream's other events. */
    public record Delivery(String streamKey, String type, List<Out> records) {
    }

    /** The publish: the event on {@code tapedeck.streams} and the live session on {@code tapedeck.live}. */
    public Delivery published(StreamPublished event) {
        CloudEvent<StreamPublished> ce = CloudEvent.of(SOURCE, event, clock);
        return new Delivery(event.streamKey(), ce.type(), List.of(new Out(Topics.STREAMS, ce), new Out(Topics.LIVE, ce)));
    }

    /** The unpublish on {@code tapedeck.streams} and the tombstone of the live session. */
    public Delivery unpublished(StreamUnpublished event) {
        CloudEvent<StreamUnpublished> ce = CloudEvent.of(SOURCE, event, clock);
        return new Delivery(event.streamKey(), ce.type(), List.of(new Out(Topics.STREAMS, ce), new Out(Topics.LIVE, null)));
    }

    /**
     * Starts every send of a delivery at once, one future per record (in the order of {@link Delivery#records()}),
     * each completing when the broker acknowledged that record.
     */
    public List<CompletableFuture<Void>> send(Delivery delivery) {
        List<CompletableFuture<Void>> acks = delivery.records().stream().map(o -> new CompletableFuture<Void>()).toList();
        // The connector hands each record to its own sending thread, so this returns at once even while the broker
        // is away (BrokerOutageIT); the acknowledgements complete the futures.
        StreamUnpublished end = delivery.records().stream().map(Out::event)
                .filter(e -> e != null && e.data() instanceof StreamUnpublished).map(e -> (StreamUnpublished) e.data())
                .findFirst().orElse(null);
        for (int i = 0; i < acks.size(); i++) {
            Out o = delivery.records().get(i);
            CompletableFuture<Void> ack = acks.get(i);
            OutgoingKafkaRecordMetadata.OutgoingKafkaRecordMetadataBuilder<String> meta = OutgoingKafkaRecordMetadata.<String>builder()
                    .withTopic(o.topic()).withKey(delivery.streamKey());
            if (o.event() == null && end != null && Topics.LIVE.equals(o.topic())) {
                meta.withHeaders(LiveEndHeaders.of(end));
            }
            Message<Record<String, CloudEvent<?>>> message = Message.of(Record.<String, CloudEvent<?>>of(delivery.streamKey(), o.event()),
                    Metadata.of(meta.build()));
            out.sendMessage(message).subscribe().with(v -> ack.complete(null), ack::completeExceptionally);
        }
        return acks;
    }

    /** Waits for a started delivery within the callback's budget; the sends go on when this gives up. */
    public static void await(List<CompletableFuture<Void>> sent, Delivery delivery, Budget budget) {
        try {
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
                    .get(Math.max(1, budget.remaining().toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new NotAcknowledgedException("Kafka did not acknowledge " + delivery.type() + " for " + delivery.streamKey()
                    + " within the hook's budget", e);
        } catch (ExecutionException e) {
            throw new NotAcknowledgedException("Kafka refused " + delivery.type() + " for " + delivery.streamKey() + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotAcknowledgedException("interrupted while waiting for Kafka", e);
        }
    }

    /** The broker did not take an event in time. */
    public static class NotAcknowledgedException extends RuntimeException {
        public NotAcknowledgedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
