package dev.tapedeck.recorder.service;

import dev.tapedeck.contract.event.StreamPublished;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The recordings of this replica, one {@link RecordingSession} per rendition's session. Pulls run on a
 * bounded pool ({@code max-recordings}); a stream beyond it waits for a free pull. A repeated publish of a
 * session already recorded here starts nothing.
 */
public class RecorderService implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RecorderService.class);

    private final RecorderContext ctx;
    private static final int REMEMBERED = 10_000;

    private final Map<String, RecordingSession> sessions = new ConcurrentHashMap<>();
    /** Sessions this replica stands by for: pulled beside their owner, promoted when this replica comes to hold them. */
    private final Map<String, RecordingSession> standbys = new ConcurrentHashMap<>();
    private final java.util.concurrent.ExecutorService standbyPulls;
    /** Sessions whose recording this replica closed: a late repeat of their publish or end starts nothing. */
    private final Map<String, Boolean> closed = java.util.Collections.synchronizedMap(new java.util.LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    });
    private final ThreadPoolExecutor pulls;
    private final io.micrometer.core.instrument.Counter started;

    public RecorderService(RecorderContext ctx) {
        this.ctx = ctx;
        int max = ctx.settings().maxRecordings();
        AtomicInteger n = new AtomicInteger();
        this.pulls = new ThreadPoolExecutor(max, max, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                r -> new Thread(r, "pull-" + n.incrementAndGet()));
        ctx.metrics().registry().gauge("tapedeck.recorder.active.recordings", pulls, ThreadPoolExecutor::getActiveCount);
        ctx.metrics().registry().gauge("tapedeck.recorder.waiting.recordings", pulls, p -> p.getQueue().size());
        this.started = ctx.metrics().registry().counter("tapedeck.recorder.pulls.started");
        AtomicInteger m = new AtomicInteger();
        this.standbyPulls = java.util.concurrent.Executors.newCachedThreadPool(r -> new Thread(r, "standby-" + m.incrementAndGet()));
        ctx.metrics().registry().gauge("tapedeck.recorder.standby.recordings", standbys, Map::size);
    }

    /** Records the session here, unless it already is; a standby of it here becomes its owner. */
    public synchronized void own(StreamPublished p) {
        if (promote(p) != null) {
            return;
        }
        if (sessions.containsKey(p.sessionId())) {
            LOG.infof("session %s of %s is already being recorded here; nothing new starts", p.sessionId(), p.streamKey());
            return;
        }
        if (closed.containsKey(p.sessionId())) {
            LOG.infof("session %s of %s was already closed here; nothing new starts", p.sessionId(), p.streamKey());
            return;
        }
        start(p, true);
    }

    /**
     * The session's stream ended: its pull drains for the stop grace, then the recording is closed. A session
     * not recorded here (it ended while no replica held it) is closed from what is stored.
     *
     * @return completes once RecordingClosed was announced
     */
    public synchronized CompletableFuture<Void> end(StreamPublished p) {
        RecordingSession s = promote(p);
        if (s == null) {
            s = sessions.get(p.sessionId());
        }
        if (s == null && closed.containsKey(p.sessionId())) {
            return CompletableFuture.completedFuture(null);
        }
        if (s == null) {
            return start(p, false).finished();
        }
        s.unpublished(ctx.settings().stopGrace().toNanos());
        return s.finished();
    }

    /** Like {@link #end} but without the drain: this replica is letting go of the partition. */
    public synchronized CompletableFuture<Void> endNow(StreamPublished p) {
        RecordingSession s = sessions.get(p.sessionId());
        if (s == null) {
            return CompletableFuture.completedFuture(null);
        }
        s.unpublished(0);
        return s.finished();
    }

    /**
     * Another replica takes the session over: the current slice is finished, stored and announced; nothing
     * ends the recording.
     *
     * @return completes once this replica's last slice of it is announced
     */
    public synchronized CompletableFuture<Void> handover(StreamPublished p) {
        RecordingSession s = sessions.get(p.sessionId());
        if (s == null) {
            return CompletableFuture.completedFuture(null);
        }
        s.handover();
        if (pulls.remove(s)) {
            LOG.infof("%s was waiting for a free pull; handed over", p.streamKey());
            sessions.remove(p.sessionId(), s);
            s.finished().complete(null);
        }
        return s.finished();
    }

    /**
     * Stands by for a session owned by another replica: pulls it beside the owner, keeping its last slices, so that a
     * takeover loses nothing. Nothing starts for a session recorded or already stood by for here, nor for one of an app
     * without standbys ({@code no-standby-apps}).
     */
    public synchronized void standby(StreamPublished p) {
        String id = p.sessionId();
        if (sessions.containsKey(id) || standbys.containsKey(id) || closed.containsKey(id) || !ctx.settings().standsBy(p)) {
            return;
        }
        if (standbys.size() >= ctx.settings().maxRecordings()) {
            LOG.warnf("not standing by for %s: this replica already stands by for %d streams (max-recordings)", p.streamKey(),
                    standbys.size());
            return;
        }
        RecordingSession s = new RecordingSession(p, ctx, true, true);
        standbys.put(id, s);
        s.finished().whenComplete((v, e) -> {
            standbys.remove(id, s);
            if (s.ended()) {
                closed.put(id, Boolean.TRUE);
            }
            sessions.remove(id, s);
        });
        standbyPulls.execute(s);
    }

    /** Stops standing by for a session (its stream ended, or another replica stands by for it now); a promoted one goes on. */
    public synchronized void dropStandby(String sessionId) {
        RecordingSession s = standbys.get(sessionId);
        if (s != null && s.standingBy()) {
            s.handover();
        }
    }

    /** Sessions stood by for here (not yet promoted). */
    public List<RecordingSession> standbys() {
        return standbys.values().stream().filter(RecordingSession::standingBy).toList();
    }

    /** A standby of the session becomes its owner here; null when this replica does not stand by for it. */
    private RecordingSession promote(StreamPublished p) {
        RecordingSession s = standbys.get(p.sessionId());
        if (s == null || !s.standingBy()) {
            return null;
        }
        LOG.infof("%s (session %s) is this replica's now: its standby here takes the recording over", p.streamKey(), p.sessionId());
        sessions.put(p.sessionId(), s);
        s.promote();
        return s;
    }

    /** True while the session is recorded (or waits to be) on this replica. */
    public boolean recording(String sessionId) {
        return sessions.containsKey(sessionId);
    }

    /** The sessions of this replica. */
    public List<RecordingSession> sessions() {
        return List.copyOf(sessions.values());
    }

    /** Streams waiting for a free pull. */
    public int waiting() {
        return pulls.getQueue().size();
    }

    /** True while the session waits for a free pull on this replica. */
    public boolean waiting(String sessionId) {
        RecordingSession s = sessions.get(sessionId);
        return s != null && pulls.getQueue().contains(s);
    }

    /** True when every pull of this replica is taken. */
    public boolean full() {
        return pulls.getActiveCount() >= ctx.settings().maxRecordings() || !pulls.getQueue().isEmpty();
    }

    private RecordingSession start(StreamPublished p, boolean pull) {
        RecordingSession s = new RecordingSession(p, ctx, pull);
        sessions.put(p.sessionId(), s);
        s.finished().whenComplete((v, e) -> {
            if (s.ended()) {
                closed.put(p.sessionId(), Boolean.TRUE);
            }
            sessions.remove(p.sessionId(), s);
        });
        if (pull) {
            started.increment();
        }
        if (pulls.getActiveCount() >= ctx.settings().maxRecordings()) {
            LOG.warnf("%s waits: this replica already pulls %d streams (max-recordings)", p.streamKey(), ctx.settings().maxRecordings());
        }
        RecordingSession before = sessions.values().stream().filter(o -> o != s && o.published().recordingId().equals(p.recordingId())
                && o.published().rendition().equals(p.rendition())).findFirst().orElse(null);
        if (before != null) {
            // A republish within the reconnect window: the ended session's last slices come first, then this one
            // continues after them.
            LOG.infof("%s continues recording %s once session %s has closed its part", p.sessionId(), p.recordingId(),
                    before.published().sessionId());
            before.finished().whenComplete((v, e) -> pulls.execute(s));
        } else {
            pulls.execute(s);
        }
        return s;
    }

    @Override
    public void close() {
        standbyPulls.shutdownNow();
        pulls.shutdownNow();
    }
}
