package dev.tapedeck.transcoder.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * The worker's entry point: reads the work request from {@value WorkRequest#ENV} and the credential
 * from {@code TAPEDECK_TRANSCODER_TOKEN}, publishes the ladder until the source ends, exits 0; on
 * failure it prints who is at fault and exits 2 (retryable) or 3 (not retryable).
 */
public final class WorkerMain {
    private static final Logger LOG = Logger.getLogger(WorkerMain.class);
    /**
     * JVM options every launcher gives the worker. Its Java code is a thin loop around FFmpeg, so the
     * client compiler alone and the serial collector start fastest and leave the cores to the encoders.
     */
    /** Where the worker leaves {@code CODE message} when it ended without rungs (read by the local launcher). */
    public static final String OUTCOME_ENV = "TAPEDECK_WORKER_OUTCOME";
    public static final List<String> JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    /**
     * The worker logs through the JDK's logging, one line per record on stderr: with no provider named, JBoss
     * Logging would pick SLF4J from the class path, which has no binding outside Quarkus and prints nothing.
     */
    static final List<String> LOG_OPTIONS = List.of("-Dorg.jboss.logging.provider=jdk",
            "-Djava.util.logging.SimpleFormatter.format=%1$tF %1$tT %4$s [%3$s] %5$s%6$s%n");

    /** The arguments after {@code java} that run a worker with this heap from this class path. */
    public static List<String> javaArgs(String heap, String classpath) {
        List<String> args = new ArrayList<>();
        args.add("-Xmx" + heap);
        args.addAll(JVM_OPTIONS);
        args.addAll(LOG_OPTIONS);
        args.addAll(List.of("-cp", classpath, WorkerMain.class.getName()));
        return args;
    }

    private WorkerMain() {
    }

    public static void main(String[] args) {
        String json = System.getenv(WorkRequest.ENV);
        if (json == null || json.isBlank()) {
            System.err.println(WorkRequest.ENV + " is not set: nothing to do");
            System.exit(3);
        }
        WorkRequest request = WorkRequest.fromJson(json);
        // SIGTERM (the launcher: the source was unpublished; Kubernetes: the pod is stopped) finishes the run as at the
        // source's end, every rung flushed and closed, and the process exits with the run's code, not the JVM's 143.
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        int[] code = {0};
        Thread hook = new Thread(() -> {
            if (done.getCount() == 0) {
                return; // the run ended by itself: this is its own exit
            }
            LadderPipeline pipeline = current;
            LOG.infof("%s: asked to stop; finishing the rungs", request.streamKey());
            if (pipeline != null) {
                pipeline.finish();
            }
            try {
                done.await(FINISH_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Runtime.getRuntime().halt(done.getCount() == 0 ? code[0] : 143);
        }, "worker-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        code[0] = run(request, System.getenv("TAPEDECK_TRANSCODER_TOKEN"));
        done.countDown();
        System.exit(code[0]);
    }

    /** How long a stopped worker may take to finish its rungs before it exits anyway (within Kubernetes' 30 s grace). */
    static final int FINISH_WAIT_SECONDS = 20;

    /** The run in progress, for the stop hook. */
    private static volatile LadderPipeline current;

    /**
     * Leaves the reason a run needed no rungs where the launcher reads it: the file named by {@value #OUTCOME_ENV}
     * (local launcher), else the container's termination message ({@code /dev/termination-log}, in a pod).
     */
    static void writeOutcome(String code, String message) {
        String path = System.getenv(OUTCOME_ENV);
        Path target = path != null && !path.isBlank() ? Path.of(path) : Path.of("/dev/termination-log");
        if (path == null && !Files.isWritable(target)) {
            return;
        }
        try {
            Files.writeString(target, code + " " + message);
        } catch (IOException e) {
            LOG.warnf("cannot write the outcome to %s: %s", target, e.getMessage());
        }
    }

    /** Runs one request; returns the process exit code. */
    public static int run(WorkRequest request, String token) {
        LadderPipeline pipeline = new LadderPipeline(request.sourceUrl(), request.parsedLadder(),
                rung -> request.rungUrl(rung, token), 15_000_000);
        current = pipeline;
        try (WorkerMetrics metrics = new WorkerMetrics(request.streamKey())) {
            // In a pod the controller asks through HTTP (a pod cannot be signalled through the Kubernetes API).
            metrics.onFinish(System.getenv(WorkerMetrics.FINISH_KEY_ENV), () -> {
                LOG.infof("%s: the source was unpublished; finishing the rungs", request.streamKey());
                pipeline.finish();
            });
            String port = System.getenv(WorkerMetrics.PORT_ENV);
            if (port != null && !port.isBlank()) {
                try {
                    LOG.infof("metrics on :%d/metrics", metrics.serve(Integer.parseInt(port.strip())));
                } catch (IOException | NumberFormatException e) {
                    LOG.warnf("no metrics endpoint (%s=%s): %s", WorkerMetrics.PORT_ENV, port, e.getMessage());
                }
            }
            long[] lastLog = {0};
            LadderPipeline.Result result = pipeline.run((frames, media, wall) -> {
                metrics.update(frames, media, wall);
                if (wall - lastLog[0] >= 10) {
                    lastLog[0] = (long) wall;
                    LOG.infof("%s: %d frames, %.1f s of media in %.1f s (%.2fx)", request.streamKey(), frames, media, wall,
                            wall == 0 ? 0 : media / wall);
                }
            });
            if (result.note() != null) {
                LOG.infof("%s: no rungs needed (%s)", request.streamKey(), result.note());
                writeOutcome(result.note(), "the source has audio and no video: no rungs to make");
                return 0;
            }
            LOG.infof("%s: ladder %s done, %d frames, %.1f s at %.2fx; source timestamps corrected %s, size changes %d, "
                    + "rung publishes opened again %d, source read again %d", request.streamKey(), result.rungs(), result.frames(),
                    result.mediaSeconds(), result.speed(), result.corrections(), result.sourceChanges(), result.republished(),
                    result.sourceReread());
            return 0;
        } catch (WorkerException e) {
            LOG.errorf("%s: %s %s: %s", request.streamKey(), e.fault(), e.code(), e.getMessage());
            return e.retryable() ? 2 : 3;
        }
    }
}
