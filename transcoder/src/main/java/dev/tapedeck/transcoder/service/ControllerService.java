package dev.tapedeck.transcoder.service;

import dev.tapedeck.contract.Ladder;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.event.JobStatusChanged.Scope;
import dev.tapedeck.contract.event.JobStatusChanged.Status;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.transcoder.config.TranscoderConfig;
import dev.tapedeck.transcoder.launcher.WorkerLauncher;
import dev.tapedeck.transcoder.worker.WorkRequest;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

/** One worker per published source session, within the configured cap. */
@ApplicationScoped
public class ControllerService {
    private static final Logger LOG = Logger.getLogger(ControllerService.class);
    /** How the worker announces itself when it plays the source, so a held nginx-rtmp publish waits for it. */
    static final String ROLE_QUERY = "tapedeck-role=transcoder";

    private final TranscoderConfig config;
    private final WorkerLauncher launcher;
    private final JobEvents events;

    ControllerService(TranscoderConfig config, WorkerLauncher launcher, JobEvents events) {
        this.config = config;
        this.launcher = launcher;
        this.events = events;
    }

    /** Starts the session's worker; rungs (derived streams) are never transcoded again. */
    public synchronized void onPublished(StreamPublished p) {
        if (p.derived()) {
            return;
        }
        String worker = launcher.workerName(p.sessionId());
        WorkRequest request = request(p);
        int running = launcher.running();
        if (running >= config.maxWorkers()) {
            LOG.warnf("refused a worker for %s: %d of %d workers running", p.streamKey(), running, config.maxWorkers());
            events.send(p.sessionId(), p.streamKey(), Status.LIMIT_REACHED, worker, Scope.SYSTEM, "WORKER_LIMIT",
                    running + " of " + config.maxWorkers() + " workers running", true);
            return;
        }
        try {
            if (launcher.launch(request) == WorkerLauncher.Launch.STARTED) {
                events.send(p.sessionId(), p.streamKey(), Status.STARTING, worker, null, null, null, false);
            }
        } catch (RuntimeException e) {
            LOG.errorf("could not start the worker for %s: %s", p.streamKey(), e.getMessage());
            events.send(p.sessionId(), p.streamKey(), Status.FAILED, worker, Scope.SYSTEM, "LAUNCH_FAILED", e.getMessage(), true);
        }
    }

    /** The source's session ended: its worker is not started again if it dies now. */
    public void onUnpublished(StreamUnpublished u) {
        launcher.sessionEnded(u.sessionId());
    }

    WorkRequest request(StreamPublished p) {
        StreamKey key = StreamKey.parse(p.streamKey());
        String base = config.mediaServerUrl();
        return new WorkRequest(p.sessionId(), p.recordingId(), p.streamKey(),
                base + "/" + key.app() + "/" + key.stream() + "?" + ROLE_QUERY,
                base + "/" + key.app() + StreamKey.DERIVED_APP_SUFFIX, key.stream(), ladderFor(key.app()).toString());
    }

    /** The app's own ladder when configured, else the default. */
    public Ladder ladderFor(String app) {
        return Ladder.parse(config.appLadders().getOrDefault(app, config.ladder()));
    }
}
