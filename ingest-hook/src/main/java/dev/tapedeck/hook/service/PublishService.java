package dev.tapedeck.hook.service;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.hook.config.HookConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.Set;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/** Validate, authorize, write the event, wait for the ack, answer. Nothing slow happens on this path. */
@ApplicationScoped
public class PublishService {
    private static final Logger LOG = Logger.getLogger(PublishService.class);
    /** Source renditions are called {@code source}; rungs carry theirs after the last '_' of the stream name. */
    public static final String SOURCE_RENDITION = "source";
    /** Query parameter by which players name their role ({@code recorder}, {@code transcoder}). */
    public static final String ROLE_PARAM = "tapedeck-role";
    /** Query parameter by which the transcoder files a rung under its source's recording. */
    public static final String RECORDING_PARAM = "recording";
    static final String RECORDER_ROLE = "recorder";
    private static final Pattern RECORDING_ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private final HookConfig config;
    private final PublishAuthorizer authorizer;
    private final LifecycleEmitter emitter;
    private final AttachGate gate;
    private final Clock clock;
    private final LiveRegistry registry;
    private final Outbox outbox;
    private final io.micrometer.core.instrument.Counter unmatched;
    private final io.micrometer.core.instrument.Counter repeated;
    private final io.micrometer.core.instrument.Counter reconnected;

    PublishService(HookConfig config, PublishAuthorizer authorizer, LifecycleEmitter emitter, AttachGate gate, Clock clock,
            LiveRegistry registry, Outbox outbox, io.micrometer.core.instrument.MeterRegistry metrics) {
        this.registry = registry;
        this.outbox = outbox;
        this.unmatched = metrics.counter("tapedeck.hook.unpublish.unmatched");
        this.repeated = metrics.counter("tapedeck.hook.publish.repeated");
        this.reconnected = metrics.counter("tapedeck.hook.publish.reconnected");
        this.config = config;
        this.authorizer = authorizer;
        this.emitter = emitter;
        this.gate = gate;
        this.clock = clock;
    }

    /** Decides a publish; on allow, StreamPublished is acknowledged by Kafka before this returns. */
    public Decision publish(PublishRequest req, boolean holdUntilAttached) {
        StreamKey key;
        try {
            key = new StreamKey(req.vhost(), req.app(), req.stream());
        } catch (StreamKey.InvalidNameException e) {
            LOG.warnf("refused publish from %s via %s: %s", req.clientAddr(), req.mediaServer(), e.getMessage());
            return new Decision.Deny("INVALID_NAME", e.getMessage(), false);
        }
        Optional<Decision.Deny> denied = authorizer.check(key, req.params());
        if (denied.isPresent()) {
            LOG.warnf("refused publish of %s from %s: %s", key, req.clientAddr(), denied.get().message());
            return denied.get();
        }
        Budget budget = Budget.of(config.ackTimeout());
        Optional<StreamPublished> current = registry.current(key.toString());
        if (current.isPresent()) {
            // Something is live under this name: make sure it is the newest before deciding between a repeat and a new session.
            registry.catchUp(budget.remaining());
            current = registry.current(key.toString());
        }
        if (current.isPresent() && req.clientId() != null && req.clientId().equals(current.get().clientId())
                && req.mediaServer().equals(current.get().mediaServer())) {
            // The media server asked again for the same connection (a retry after a timeout): same session.
            repeated.increment();
            LOG.infof("repeated publish callback of %s for client %s: session %s", key, Log.value(req.clientId()),
                    current.get().sessionId());
            return new Decision.Allow(current.get().sessionId());
        }
        String sessionId = Ids.uuid7(clock);
        String recordingId = recordingOf(key, req.params(), sessionId);
        MDC.put("streamKey", key.toString());
        MDC.put("sessionId", sessionId);
        try {
            StreamPublished event = new StreamPublished(key.toString(), key.vhost(), key.app(), key.stream(), sessionId,
                    recordingId, key.derived(), sourceOf(key).toString(), renditionOf(key), req.mediaServer(), req.serverId(),
                    req.clientId(), req.clientAddr(), req.tcUrl(), clock.instant());
            if (key.derived() || current.isEmpty()) {
                event = continued(key, event);
            }
            Set<String> roles = attachRoles(key);
            boolean gated = holdUntilAttached && !config.attachWait().isZero() && !roles.isEmpty();
            if (gated) {
                gate.expect(key.app(), key.stream(), roles);
            }
            LifecycleEmitter.Delivery delivery = emitter.published(event);
            String failure = deliver(delivery, budget);
            if (failure != null) {
                gate.cancel(key.app(), key.stream());
                gated = false;
                if (config.failClosed()) {
                    LOG.errorf("refused publish of %s: %s", key, failure);
                    return new Decision.Deny("EVENT_NOT_ACKNOWLEDGED", failure, true);
                }
                LOG.warnf("allowed publish of %s; its events wait in the outbox for the broker (fail-closed is off): %s", key, failure);
            }
            registry.wrote(key.toString(), event);
            if (gated) {
                long held = System.nanoTime();
                Set<String> missing = gate.await(key.app(), key.stream(), config.attachWait());
                if (!missing.isEmpty()) {
                    LOG.warnf("%s did not attach to %s within %d ms; they may miss the first frames", missing, key,
                            config.attachWait().toMillis());
                } else {
                    LOG.infof("%s attached to %s after %d ms", roles, key, (System.nanoTime() - held) / 1_000_000);
                }
            }
            LOG.infof("publish of %s allowed (client %s via %s)", key, req.clientAddr(), req.mediaServer());
            return new Decision.Allow(sessionId);
        } finally {
            MDC.remove("streamKey");
            MDC.remove("sessionId");
        }
    }

    /** Records the end of a publish. Names that were never valid are ignored: nothing was published for them. */
    public void unpublish(PublishRequest req) {
        StreamKey key;
        try {
            key = new StreamKey(req.vhost(), req.app(), req.stream());
        } catch (StreamKey.InvalidNameException e) {
            LOG.debugf("ignoring unpublish of an invalid name: %s", e.getMessage());
            return;
        }
        Budget budget = Budget.of(config.ackTimeout());
        Optional<StreamPublished> current = registry.current(key.toString());
        if (current.isEmpty() || !sameSession(current.get(), req)) {
            // Not in this replica's view yet (another replica may have answered the publish a moment ago): catch up.
            registry.catchUp(budget.remaining());
            current = registry.current(key.toString());
        }
        if (current.isEmpty() || !sameSession(current.get(), req)) {
            // A late unpublish of an older session (or of one that never went live) must not end the current one.
            unmatched.increment();
            LOG.warnf("unpublish of %s by client %s does not match its live session (%s); nothing changes", key,
                    Log.value(req.clientId()), current.map(c -> c.sessionId() + ", client " + Log.value(c.clientId())).orElse("none"));
            return;
        }
        String sessionId = current.get().sessionId();
        StreamUnpublished end = new StreamUnpublished(key.toString(), key.vhost(), key.app(),
                key.stream(), sessionId, key.derived(), req.mediaServer(), req.clientId(), clock.instant(), current.get().recordingId());
        LifecycleEmitter.Delivery delivery = emitter.unpublished(end);
        if (outbox.holds(delivery.streamKey())) {
            outbox.keep(delivery, null);
        } else {
            List<CompletableFuture<Void>> sent = emitter.send(delivery);
            try {
                LifecycleEmitter.await(sent, delivery, budget);
            } catch (LifecycleEmitter.NotAcknowledgedException e) {
                // Nobody waits for this answer, and a lost end would leave the recording open: deliver it later.
                outbox.keep(delivery, sent);
            }
        }
        registry.ended(key.toString(), end);
        LOG.infof("unpublish of %s (session %s)", key, sessionId);
    }

    /**
     * The reconnect window: a source whose last session ended within its app's window continues that session's
     * recording; a rung of such a source says so too (its recording continues as well).
     */
    private StreamPublished continued(StreamKey key, StreamPublished event) {
        if (key.derived()) {
            Optional<StreamPublished> source = registry.current(event.sourceStreamKey());
            boolean continues = source.isPresent() && source.get().reconnected() && source.get().recordingId().equals(event.recordingId());
            return continues ? event.continuing(event.recordingId()) : event;
        }
        java.time.Duration window = config.reconnectWindowOf(key.app());
        Optional<dev.tapedeck.contract.kafka.LiveEndHeaders.Ended> last = registry.lastEnded(key.toString());
        if (window.isZero() || last.isEmpty()) {
            return event;
        }
        java.time.Duration since = java.time.Duration.between(last.get().endedAt(), event.publishedAt());
        if (since.compareTo(window) > 0) {
            LOG.infof("%s ended %d ms ago, after its reconnect window (%d ms): a new recording", key, since.toMillis(), window.toMillis());
            return event;
        }
        reconnected.increment();
        LOG.infof("%s republished %d ms after session %s ended (reconnect window %d ms): continues recording %s", key,
                since.toMillis(), last.get().sessionId(), window.toMillis(), last.get().recordingId());
        return event.continuing(last.get().recordingId());
    }

    /**
     * Writes a publish within the budget, behind any events of the same stream still waiting in the outbox.
     *
     * @return null when the broker acknowledged it; otherwise why not. In fail-open mode the delivery is then in
     *         the outbox; in fail-closed mode it was not written (an acknowledgement that still comes later is
     *         followed by an unpublish, so a refused publish never stays live)
     */
    private String deliver(LifecycleEmitter.Delivery delivery, Budget budget) {
        if (outbox.holds(delivery.streamKey())) {
            if (!config.failClosed()) {
                outbox.keep(delivery, null);
                return "earlier events of " + delivery.streamKey() + " still wait for the broker";
            }
            if (!outbox.awaitDrained(delivery.streamKey(), budget.remaining())) {
                return "earlier events of " + delivery.streamKey() + " still wait for the broker";
            }
        }
        List<CompletableFuture<Void>> sent = emitter.send(delivery);
        try {
            LifecycleEmitter.await(sent, delivery, budget);
            return null;
        } catch (LifecycleEmitter.NotAcknowledgedException e) {
            if (!config.failClosed()) {
                outbox.keep(delivery, sent);
            } else {
                CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
                        .thenRunAsync(() -> endRefused(delivery), io.smallrye.mutiny.infrastructure.Infrastructure.getDefaultWorkerPool());
            }
            return e.getMessage();
        }
    }

    /** A refused publish whose event reached the broker after the answer: end it, so nothing records it. */
    private void endRefused(LifecycleEmitter.Delivery delivery) {
        StreamPublished p = (StreamPublished) delivery.records().get(0).event().data();
        LOG.warnf("refused publish of %s reached the broker late; ending session %s", p.streamKey(), p.sessionId());
        outbox.keep(emitter.unpublished(new StreamUnpublished(p.streamKey(), p.vhost(), p.app(), p.stream(), p.sessionId(),
                p.derived(), p.mediaServer(), p.clientId(), clock.instant())), null);
    }

    /**
     * Whether an unpublish is of the live session: the same client (connection) id as its publish; a media server
     * whose end-of-stream callback carries no client id (ZLMediaKit) must be the one the session was published on.
     */
    static boolean sameSession(StreamPublished live, PublishRequest end) {
        if (end.clientId() != null) {
            return end.clientId().equals(live.clientId());
        }
        return end.mediaServer().equals(live.mediaServer()) && end.serverId() != null && end.serverId().equals(live.serverId());
    }

    /** Whether publishes from this media server are held until the attach roles play ({@code attach-servers}). */
    public boolean holdsPublishesOf(String mediaServer) {
        return config.attachServers().contains(mediaServer);
    }

    /** A player started; the recorder's and the worker's plays release a held publish. */
    public void played(String app, String stream, Map<String, String> params) {
        String role = params.get(ROLE_PARAM);
        if (role != null) {
            gate.attached(app, stream, role);
        }
    }

    /** Sources wait for every configured role; rungs only for the recorder (nothing transcodes a rung). */
    private Set<String> attachRoles(StreamKey key) {
        if (!key.derived()) {
            return config.attachRoles();
        }
        return config.attachRoles().contains(RECORDER_ROLE) ? Set.of(RECORDER_ROLE) : Set.of();
    }

    /**
     * A rung belongs to its source's recording: the worker names it with {@code ?recording=} (trusted because
     * the publish carried the transcoder's credential). Sources, and rungs without it, open their own.
     */
    static String recordingOf(StreamKey key, Map<String, String> params, String sessionId) {
        String claimed = params.get(RECORDING_PARAM);
        if (key.derived() && claimed != null && RECORDING_ID.matcher(claimed).matches()) {
            return claimed;
        }
        return sessionId;
    }

    /** {@code live-abr/demo_720p} → {@code live/demo}; a source stream is its own source. */
    static StreamKey sourceOf(StreamKey key) {
        if (!key.derived()) {
            return key;
        }
        String app = key.app().substring(0, key.app().length() - StreamKey.DERIVED_APP_SUFFIX.length());
        int cut = key.stream().lastIndexOf('_');
        return new StreamKey(key.vhost(), app, cut > 0 ? key.stream().substring(0, cut) : key.stream());
    }

    static String renditionOf(StreamKey key) {
        if (!key.derived()) {
            return SOURCE_RENDITION;
        }
        int cut = key.stream().lastIndexOf('_');
        return cut > 0 ? key.stream().substring(cut + 1) : SOURCE_RENDITION;
    }
}
