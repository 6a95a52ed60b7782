package dev.tapedeck.recorder.service;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.recorder.spool.Announcer;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import org.eclipse.microprofile.reactive.messaging.Channel;

/** Writes SliceStored and RecordingClosed to {@code tapedeck.slices}, keyed {@code recordingId/rendition}. */
@ApplicationScoped
public class SliceEvents implements Announcer {
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);
    private final MutinyEmitter<Record<String, CloudEvent<?>>> emitter;
    private final Clock clock;

    SliceEvents(@Channel("slices-out") MutinyEmitter<Record<String, CloudEvent<?>>> emitter, Clock clock) {
        this.emitter = emitter;
        this.clock = clock;
    }

    @Override
    public void stored(SliceStored event) {
        send(Topics.sliceKey(event.recordingId(), event.rendition()), CloudEvent.of("recorder", event, clock));
    }

    @Override
    public void closed(RecordingClosed event) {
        send(Topics.sliceKey(event.recordingId(), event.rendition()), CloudEvent.of("recorder", event, clock));
    }

    private void send(String key, CloudEvent<?> event) {
        emitter.send(Record.of(key, event)).await().atMost(ACK_TIMEOUT);
    }
}
