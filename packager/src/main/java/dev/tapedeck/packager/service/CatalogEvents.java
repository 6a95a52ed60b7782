package dev.tapedeck.packager.service;

import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import org.eclipse.microprofile.reactive.messaging.Channel;

/** Writes catalog entries to the compacted {@code tapedeck.vods}, keyed by recordingId. */
@ApplicationScoped
public class CatalogEvents {
    private final MutinyEmitter<Record<String, CloudEvent<?>>> emitter;
    private final Clock clock;

    CatalogEvents(@Channel("vods-out") MutinyEmitter<Record<String, CloudEvent<?>>> emitter, Clock clock) {
        this.emitter = emitter;
        this.clock = clock;
    }

    public void publish(CatalogEntry entry) {
        emitter.send(Record.of(entry.recordingId(), CloudEvent.of("packager", entry, clock))).await().atMost(Duration.ofSeconds(30));
    }
}
