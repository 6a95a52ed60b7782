package dev.tapedeck.transcoder.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** transcoder controller settings ({@code tapedeck.transcoder.*}). */
@ConfigMapping(prefix = "tapedeck.transcoder")
public interface TranscoderConfig {

    /** Where workers run: {@code local} (child processes) or {@code kubernetes} (one Job per session). */
    @WithDefault("local")
    LauncherKind launcher();

    /** Most workers running at once; a session beyond it gets LIMIT_REACHED. */
    @WithDefault("8")
    int maxWorkers();

    /** The default ladder, {@code 720p:2800k,480p:1400k,360p:800k}. */
    @WithDefault("720p:2800k,480p:1400k,360p:800k")
    String ladder();

    /** Per-app ladders: {@code tapedeck.transcoder.app-ladders.studio=1080p:5000k,720p:2800k}. */
    Map<String, String> appLadders();

    /** RTMP base URL workers pull sources from and publish rungs to. */
    @WithDefault("rtmp://127.0.0.1:1935")
    String mediaServerUrl();

    /** Kubernetes launcher settings. */
    Kubernetes kubernetes();

    /** The transcoder's publish credential, handed to local workers (in a cluster it comes from a Secret). */
    Optional<String> token();

    /** Local launcher: the worker's classpath; found from this application's own layout when unset. */
    Optional<String> localClasspath();

    /** Local launcher: where each worker's output goes ({@code tapedeck-worker-{sessionId}.log}). */
    @WithDefault("${java.io.tmpdir}/tapedeck-workers")
    Path localLogDir();

    /** Local launcher: the worker JVM's heap limit ({@code -Xmx}); media buffers live outside the heap. */
    @WithDefault("256m")
    String localHeap();

    /**
     * Local launcher: how often a worker that died (killed, crashed: any exit but 0, 2 or 3) is started again
     * while its source is live; its rungs then continue the same recording after a marked gap.
     */
    @WithDefault("2")
    int localRestarts();

    /** Where workers run. */
    enum LauncherKind { LOCAL, KUBERNETES }

    /** How workers are created in a cluster. */
    interface Kubernetes {

        /** Namespace for the Jobs; the client's namespace when unset. */
        Optional<String> namespace();

        /**
         * The worker image (the transcoder image itself: the worker is the same artifact). Unset, the image this
         * controller runs: read once from its own Pod ({@link #podName}), so the image is set in one place.
         */
        Optional<String> image();

        /** This controller's Pod, where the worker image is read when {@code image} is unset: its hostname in a cluster. */
        @WithDefault("${HOSTNAME:}")
        Optional<String> podName();

        /** Seconds a finished Job (and its pod) is kept before Kubernetes removes it. */
        @WithDefault("300")
        int ttlSecondsAfterFinished();

        /** Retries of a failed worker pod; a live session cannot be replayed, so 0. */
        @WithDefault("0")
        int backoffLimit();

        /** Secret holding the transcoder's publish credential under key {@code token}. */
        @WithDefault("tapedeck-transcoder")
        @WithName("token-secret")
        String tokenSecret();

        /** The worker's classpath inside the image (Quarkus' fast-jar layout under {@code /deployments}). */
        @WithDefault("/deployments/lib/boot/*:/deployments/lib/main/*:/deployments/app/*")
        String workerClasspath();

        /** The worker JVM's heap limit; decoded frames live outside the heap. */
        @WithDefault("256m")
        String workerHeap();

        /** Service account of the worker pods. */
        Optional<String> serviceAccount();
    }
}
