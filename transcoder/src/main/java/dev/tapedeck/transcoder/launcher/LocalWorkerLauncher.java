package dev.tapedeck.transcoder.launcher;

import dev.tapedeck.contract.event.JobStatusChanged.Scope;
import dev.tapedeck.contract.event.JobStatusChanged.Status;
import dev.tapedeck.transcoder.config.TranscoderConfig;
import dev.tapedeck.transcoder.service.JobEvents;
import dev.tapedeck.transcoder.worker.WorkRequest;
import dev.tapedeck.transcoder.worker.WorkerMain;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Runs each worker as a child JVM of this controller with the same entry point a Job runs. The exit
 * code gives the final state: 0 COMPLETE, 2 or 3 FAILED (retryable or not), killed ABORTED. A worker that
 * dies (killed, crashed) while its source is live is started again, at most {@code local-restarts} times,
 * before it counts as ABORTED.
 */
public class LocalWorkerLauncher implements WorkerLauncher {
    private static final Logger LOG = Logger.getLogger(LocalWorkerLauncher.class);

    private final TranscoderConfig config;
    private final JobEvents events;
    private final Map<String, Process> workers = new ConcurrentHashMap<>();
    /** Per live session, how often its worker was started again. */
    private final Map<String, Integer> restarts = new ConcurrentHashMap<>();
    /** Sessions whose source was unpublished while their worker ran. */
    private final Set<String> ended = ConcurrentHashMap.newKeySet();
    private volatile boolean stopping;
    private final Path logDir;

    public LocalWorkerLauncher(TranscoderConfig config, JobEvents events) {
        this.config = config;
        this.events = events;
        this.logDir = config.localLogDir();
    }

    @Override
    public synchronized Launch launch(WorkRequest request) {
        if (workers.containsKey(request.sessionId())) {
            return Launch.ALREADY_RUNNING;
        }
        try {
            Files.createDirectories(logDir);
            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(WorkerMain.javaArgs(config.localHeap(), classpath()));
            ProcessBuilder pb = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(logDir.resolve(workerName(request.sessionId()) + ".log").toFile());
            pb.environment().put(WorkRequest.ENV, request.toJson());
            Path outcome = logDir.resolve(workerName(request.sessionId()) + ".outcome");
            Files.deleteIfExists(outcome);
            pb.environment().put(WorkerMain.OUTCOME_ENV, outcome.toString());
            config.token().ifPresent(t -> pb.environment().put(KubernetesWorkerLauncher.TOKEN_ENV, t));
            Process p = pb.start();
            workers.put(request.sessionId(), p);
            p.onExit().thenAccept(done -> finished(request, done));
            LOG.infof("started worker %s (pid %d) for %s", workerName(request.sessionId()), p.pid(), request.streamKey());
            return Launch.STARTED;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start a worker process: " + e.getMessage(), e);
        }
    }

    /**
     * The source was unpublished: its worker is not started again, and it is asked to finish (SIGTERM): it reads what is in
     * flight, flushes and closes its rungs, and exits as at the source's end. A media server that keeps its players after
     * the publisher left (SRS, nginx-rtmp with {@code play_restart off}) would otherwise hold the rungs open until a
     * timeout.
     */
    @Override
    public void sessionEnded(String sessionId) {
        Process p = sessionId == null ? null : workers.get(sessionId);
        if (p != null) {
            ended.add(sessionId);
            LOG.infof("the source of worker %s was unpublished: asking it to finish", workerName(sessionId));
            p.destroy();
        }
    }

    private void finished(WorkRequest request, Process p) {
        workers.remove(request.sessionId(), p);
        int exit = p.exitValue();
        String name = workerName(request.sessionId());
        if (exit != 0 && exit != 2 && exit != 3 && restart(request, exit)) {
            return;
        }
        ended.remove(request.sessionId());
        Integer restarted = restarts.remove(request.sessionId());
        try {
            if (exit == 0) {
                String[] outcome = outcome(name);
                events.send(request.sessionId(), request.streamKey(), Status.COMPLETE, name, null, outcome[0], outcome[1], false);
            } else if (exit == 2 || exit == 3) {
                events.send(request.sessionId(), request.streamKey(), Status.FAILED, name, Scope.SYSTEM, "WORKER_FAILED",
                        "worker exited with " + exit + "; see " + logDir.resolve(name + ".log"), exit == 2);
            } else {
                // A worker that died as often as it may be started again on this stream: its input may be what kills it.
                boolean gaveUp = restarted != null && restarted >= config.localRestarts() && !stopping;
                events.send(request.sessionId(), request.streamKey(), Status.ABORTED, name, Scope.SYSTEM, gaveUp ? "WORKER_CRASHED" : "WORKER_KILLED",
                        gaveUp ? "worker died " + (restarted + 1) + " times on this stream (last exit code " + exit + "); not started again"
                                : "worker ended with exit code " + exit, !gaveUp);
            }
        } catch (RuntimeException e) {
            LOG.errorf("could not report the end of %s: %s", name, e.getMessage());
        }
    }

    /**
     * Starts a worker that died again while its source is live, at most {@code local-restarts} times: it plays the
     * source from where it is now, and its rungs publish again into the same recording (the recorder marks the gap).
     */
    private boolean restart(WorkRequest request, int exit) {
        String session = request.sessionId();
        int done = restarts.getOrDefault(session, 0);
        if (stopping || ended.contains(session) || done >= config.localRestarts()) {
            return false;
        }
        restarts.put(session, done + 1);
        String name = workerName(session);
        LOG.warnf("worker %s for %s died (exit code %d): starting it again (%d of %d)", name, request.streamKey(), exit, done + 1,
                config.localRestarts());
        try {
            launch(request);
            events.send(session, request.streamKey(), Status.STARTING, name, Scope.SYSTEM, "WORKER_RESTARTED",
                    "worker ended with exit code " + exit + "; started again (" + (done + 1) + " of " + config.localRestarts() + ")",
                    true);
            return true;
        } catch (RuntimeException e) {
            LOG.errorf("could not start worker %s again: %s", name, e.getMessage());
            return false;
        }
    }

    /** The code and message a worker left when it ended without rungs ({@code AUDIO_ONLY …}), else two nulls. */
    private String[] outcome(String name) {
        Path file = logDir.resolve(name + ".outcome");
        try {
            if (Files.exists(file)) {
                String[] parts = Files.readString(file).strip().split(" ", 2);
                Files.deleteIfExists(file);
                return new String[] {parts[0], parts.length > 1 ? parts[1] : null};
            }
        } catch (IOException e) {
            LOG.warnf("cannot read %s: %s", file, e.getMessage());
        }
        return new String[] {null, null};
    }

    /** The worker process of a session, while it runs. */
    public Optional<ProcessHandle> worker(String sessionId) {
        return Optional.ofNullable(workers.get(sessionId)).map(Process::toHandle);
    }

    @Override
    public int running() {
        return workers.size();
    }

    @Override
    public String workerName(String sessionId) {
        return KubernetesWorkerLauncher.jobName(sessionId);
    }

    /** Stops the workers with this controller: they are its children (killed, not finished: their sources go on). */
    void stop() {
        stopping = true;
        workers.values().forEach(Process::destroyForcibly);
        for (Process p : workers.values()) {
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The configured classpath, else this application's: quarkus-app's boot, main and app jars, or the JVM's own. */
    String classpath() {
        if (config.localClasspath().isPresent()) {
            return config.localClasspath().get();
        }
        try {
            Path code = Path.of(WorkerMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path app = code.getParent();
            if (app != null && app.getFileName().toString().equals("app") && Files.isDirectory(app.resolveSibling("lib"))) {
                Path root = app.getParent();
                return String.join(File.pathSeparator, root.resolve("lib/boot/*").toString(), root.resolve("lib/main/*").toString(),
                        root.resolve("app/*").toString());
            }
        } catch (Exception e) {
            LOG.debugf("cannot locate the application's jars: %s", e.getMessage());
        }
        return System.getProperty("java.class.path");
    }
}
