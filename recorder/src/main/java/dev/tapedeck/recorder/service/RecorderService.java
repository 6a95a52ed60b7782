package dev.tapedeck.recorder.service;

import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.recorder.config.RecorderConfig;
import dev.tapedeck.storage.ObjectStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/** Runs one {@link RecordingSession} per published session; redelivered events start nothing new. */
@ApplicationScoped
public class RecorderService {
    private static final Logger LOG = Logger.getLogger(RecorderService.class);

    private final RecorderConfig config;
    private final ObjectStore store;
    private final SliceEvents events;
    private final Clock clock;
    private final Map<String, RecordingSession> sessions = new ConcurrentHashMap<>();
    private final ExecutorService pulls = Executors.newCachedThreadPool(r -> new Thread(r, "recording"));

    private final RecorderMetrics metrics;

    RecorderService(RecorderConfig config, ObjectStore store, SliceEvents events, Clock clock, MeterRegistry registry) {
        this.config = config;
        this.store = store;
        this.events = events;
        this.clock = clock;
        this.metrics = new RecorderMetrics(registry);
        registry.gauge("tapedeck.recorder.active.recordings", sessions, Map::size);
    }

    public void onPublished(StreamPublished event) {
        RecordingSession session = new RecordingSession(event, config, store, events, clock, metrics);
        if (sessions.putIfAbsent(event.sessionId(), session) != null) {
            LOG.debugf("session %s is already being recorded", event.sessionId());
            return;
        }
        pulls.submit(() -> {
            try {
                session.run();
            } finally {
                sessions.remove(event.sessionId(), session);
            }
        });
    }

    public void onUnpublished(StreamUnpublished event) {
        sessions.values().stream()
                .filter(s -> s.published().streamKey().equals(event.streamKey()))
                .filter(s -> event.sessionId() == null || event.sessionId().equals(s.published().sessionId()))
                .forEach(RecordingSession::unpublished);
    }

    /** Number of sessions being recorded now. */
    public int active() {
        return sessions.size();
    }

    void onStop(@Observes ShutdownEvent ev) {
        LOG.infof("shutting down: finishing %d recordings", sessions.size());
        sessions.values().forEach(RecordingSession::shutdown);
        pulls.shutdown();
        try {
            if (!pulls.awaitTermination(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("recordings did not finish within %s", config.shutdownTimeout());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
