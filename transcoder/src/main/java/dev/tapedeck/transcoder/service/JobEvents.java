package dev.tapedeck.transcoder.service;

import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.JobStatusChanged;
import io.smallrye.reactive.messaging.MutinyEmitter;
import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import org.eclipse.microprofile.reactive.messaging.Channel;

/** Writes worker states to {@code tapedeck.jobs}, keyed by sessionId. */
@ApplicationScoped
public class JobEvents {
    private final MutinyEmitter<Record<String, CloudEvent<?>>> emitter;
    private final Clock clock = Clock.systemUTC();

    JobEvents(@Channel("jobs-out") MutinyEmitter<Record<String, CloudEvent<?>>> emitter) {
        this.emitter = emitter;
    }

    public void send(String sessionId, String streamKey, JobStatusChanged.Status status, String worker,
            JobStatusChanged.Scope scope, String code, String message, boolean retryable) {
        JobStatusChanged event = new JobStatusChanged(sessionId, streamKey, status, worker, scope, code, message, retryable,
                clock.instant());
        emitter.send(Record.of(sessionId, CloudEvent.of("transcoder", event, clock))).await().atMost(Duration.ofSeconds(30));
    }
}
