package dev.tapedeck.transcoder.launcher;

import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.transcoder.config.TranscoderConfig;
import dev.tapedeck.transcoder.worker.WorkRequest;
import dev.tapedeck.transcoder.worker.WorkerMain;
import dev.tapedeck.transcoder.worker.WorkerMetrics;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * One {@code batch/v1} Job per session. The Job name is derived from the sessionId, so a redelivered
 * event meets AlreadyExists and creates nothing new.
 */
public class KubernetesWorkerLauncher implements WorkerLauncher {
    private static final Logger LOG = Logger.getLogger(KubernetesWorkerLauncher.class);
    public static final String NAME_LABEL = "app.kubernetes.io/name";
    public static final String WORKER = "tapedeck-worker";
    public static final String SESSION_LABEL = "tapedeck.dev/session";
    public static final String STREAM_LABEL = "tapedeck.dev/stream";
    public static final String STREAM_KEY_ANNOTATION = "tapedeck.dev/stream-key";
    public static final String TOKEN_ENV = "TAPEDECK_TRANSCODER_TOKEN";

    private final KubernetesClient client;
    private final TranscoderConfig.Kubernetes config;
    private volatile String image;

    public KubernetesWorkerLauncher(KubernetesClient client, TranscoderConfig config) {
        this.client = client;
        this.config = config.kubernetes();
    }

    @Override
    public Launch launch(WorkRequest request) {
        Job job = job(request);
        try {
            client.batch().v1().jobs().inNamespace(namespace()).resource(job).create();
            LOG.infof("created Job %s for %s", job.getMetadata().getName(), request.streamKey());
            return Launch.STARTED;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                LOG.infof("Job %s exists already (redelivered event)", job.getMetadata().getName());
                return Launch.ALREADY_RUNNING;
            }
            throw new IllegalStateException("cannot create Job " + job.getMetadata().getName() + " in " + namespace() + ": "
                    + e.getMessage(), e);
        }
    }

    /**
     * The source was unpublished: the session's worker is asked to finish (it reads what is in flight, ends its rungs as
     * at the source's end and completes). A pod cannot be signalled through the API, and deleting it would make the Job
     * start another, so the controller posts to the worker's {@code /finish} (its metrics port) with the key its Job
     * carries. The API calls run here; the requests to the pods go out on another thread.
     */
    @Override
    public void sessionEnded(String sessionId) {
        if (sessionId == null) {
            return;
        }
        try {
            Job job = client.batch().v1().jobs().inNamespace(namespace()).withName(jobName(sessionId)).get();
            String key = job == null ? null : job.getSpec().getTemplate().getSpec().getContainers().stream()
                    .flatMap(c -> c.getEnv().stream()).filter(e -> WorkerMetrics.FINISH_KEY_ENV.equals(e.getName()))
                    .map(io.fabric8.kubernetes.api.model.EnvVar::getValue).findFirst().orElse(null);
            if (key == null) {
                return;
            }
            for (Pod pod : client.pods().inNamespace(namespace()).withLabel(SESSION_LABEL, sessionId).list().getItems()) {
                String ip = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
                if (ip == null || ip.isBlank() || !"Running".equals(pod.getStatus().getPhase())) {
                    continue;
                }
                int port = pod.getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream())
                        .filter(p -> "metrics".equals(p.getName())).map(io.fabric8.kubernetes.api.model.ContainerPort::getContainerPort)
                        .findFirst().orElse(WorkerMetrics.DEFAULT_PORT);
                URI uri = URI.create("http://" + (ip.contains(":") ? "[" + ip + "]" : ip) + ":" + port + "/finish");
                HTTP.sendAsync(HttpRequest.newBuilder(uri).timeout(java.time.Duration.ofSeconds(5))
                        .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
                            if (e != null || r.statusCode() != 202) {
                                LOG.warnf("could not ask worker %s (%s) to finish: %s; it ends at its end of input", pod.getMetadata().getName(),
                                        uri, e != null ? e.getMessage() : "HTTP " + r.statusCode());
                            } else {
                                LOG.infof("asked worker %s to finish: its source was unpublished", pod.getMetadata().getName());
                            }
                        });
            }
        } catch (KubernetesClientException e) {
            LOG.warnf("could not find the worker of session %s to ask it to finish: %s", sessionId, e.getMessage());
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(2)).build();

    @Override
    public int running() {
        return (int) client.batch().v1().jobs().inNamespace(namespace()).withLabel(NAME_LABEL, WORKER).list().getItems().stream()
                .filter(j -> JobState.of(j) == null || !JobState.of(j).isFinal())
                .count();
    }

    @Override
    public String workerName(String sessionId) {
        return jobName(sessionId);
    }

    /** {@code tapedeck-worker-{sessionId}}: a valid DNS-1123 name for a UUID session id. */
    public static String jobName(String sessionId) {
        return WORKER + "-" + sessionId.toLowerCase();
    }

    /** The worker image: configured, or the one this controller's own Pod runs (read once). */
    String image() {
        String known = image;
        if (known == null) {
            known = config.image().orElseGet(this::ownImage);
            image = known;
        }
        return known;
    }

    private String ownImage() {
        String pod = config.podName().orElseThrow(() -> new IllegalStateException(
                "no worker image: set tapedeck.transcoder.kubernetes.image (this controller's own Pod name is unknown)"));
        String ns = client.getNamespace() == null ? "default" : client.getNamespace();
        Pod self = client.pods().inNamespace(ns).withName(pod).get();
        if (self == null || self.getSpec().getContainers().isEmpty()) {
            throw new IllegalStateException("no worker image: cannot read this controller's Pod " + ns + "/" + pod
                    + "; set tapedeck.transcoder.kubernetes.image");
        }
        Container own = self.getSpec().getContainers().stream().filter(c -> c.getName().equals("transcoder")).findFirst()
                .orElse(self.getSpec().getContainers().get(0));
        LOG.infof("workers run %s, the image of this controller's Pod %s", own.getImage(), pod);
        return own.getImage();
    }

    String namespace() {
        return config.namespace().orElseGet(() -> client.getNamespace() == null ? "default" : client.getNamespace());
    }

    static final String TMP_VOLUME = "tmp";
    /** Where JavaCPP unpacks native libraries (by default {@code ~/.javacpp/cache}). */
    static final String JAVACPP_CACHE_PROPERTY = "org.bytedeco.javacpp.cachedir";

    Job job(WorkRequest request) {
        StreamKey key = StreamKey.parse(request.streamKey());
        Map<String, String> labels = Map.of(
                NAME_LABEL, WORKER,
                "app.kubernetes.io/part-of", "tapedeck",
                SESSION_LABEL, request.sessionId(),
                STREAM_LABEL, labelValue(key.app() + "." + key.stream()));
        WorkerCost cost = WorkerCost.of(request.parsedLadder());
        return new JobBuilder()
                .withNewMetadata()
                    .withName(jobName(request.sessionId()))
                    .withNamespace(namespace())
                    .withLabels(labels)
                    .withAnnotations(Map.of(STREAM_KEY_ANNOTATION, request.streamKey()))
                .endMetadata()
                .withNewSpec()
                    .withTtlSecondsAfterFinished(config.ttlSecondsAfterFinished())
                    .withBackoffLimit(config.backoffLimit())
                    .withNewTemplate()
                        .withNewMetadata().withLabels(labels).withAnnotations(Map.of(
                                "prometheus.io/scrape", "true",
                                "prometheus.io/port", String.valueOf(WorkerMetrics.DEFAULT_PORT),
                                "prometheus.io/path", "/metrics")).endMetadata()
                        .withNewSpec()
                            .withRestartPolicy("Never")
                            .withServiceAccountName(config.serviceAccount().orElse(null))
                            .addNewContainer()
                                .withName("worker")
                                .withImage(image())
                                // The image's entry point is the controller; a worker runs WorkerMain from the same jars.
                                .withCommand("java")
                                .withArgs(podJavaArgs())
                                .addNewEnv().withName(WorkRequest.ENV).withValue(request.toJson()).endEnv()
                                .addNewEnv().withName(TOKEN_ENV).withNewValueFrom().withNewSecretKeyRef()
                                    .withName(config.tokenSecret()).withKey("token").endSecretKeyRef().endValueFrom().endEnv()
                                .addNewEnv().withName(WorkerMetrics.PORT_ENV).withValue(String.valueOf(WorkerMetrics.DEFAULT_PORT)).endEnv()
                                // The key this Job's worker takes a request to finish with (see sessionEnded): its own.
                                .addNewEnv().withName(WorkerMetrics.FINISH_KEY_ENV).withValue(java.util.UUID.randomUUID().toString()).endEnv()
                                .addNewPort().withName("metrics").withContainerPort(WorkerMetrics.DEFAULT_PORT).endPort()
                                .withNewResources()
                                    .addToRequests("cpu", new Quantity(cost.cpuMillis() + "m"))
                                    .addToRequests("memory", new Quantity(cost.memoryMib() + "Mi"))
                                    .addToLimits("memory", new Quantity(cost.memoryMib() * 2 + "Mi"))
                                .endResources()
                                // Read-only root: the worker writes only to /tmp (FFmpeg's natives unpacked there).
                                .withNewSecurityContext()
                                    .withRunAsNonRoot(true)
                                    .withReadOnlyRootFilesystem(true)
                                    .withAllowPrivilegeEscalation(false)
                                    .withNewCapabilities().addToDrop("ALL").endCapabilities()
                                .endSecurityContext()
                                .addNewVolumeMount().withName(TMP_VOLUME).withMountPath("/tmp").endVolumeMount()
                            .endContainer()
                            .addNewVolume().withName(TMP_VOLUME).withNewEmptyDir().withSizeLimit(new Quantity("1Gi")).endEmptyDir().endVolume()
                        .endSpec()
                    .endTemplate()
                .endSpec()
                .build();
    }

    /**
     * The worker's JVM arguments in a pod: JavaCPP unpacks FFmpeg's natives under {@code /tmp} (a volume) instead of
     * the home directory, so the root filesystem stays read-only.
     */
    List<String> podJavaArgs() {
        List<String> args = new java.util.ArrayList<>(List.of("-D" + JAVACPP_CACHE_PROPERTY + "=/tmp/javacpp", "-Djava.io.tmpdir=/tmp"));
        args.addAll(WorkerMain.javaArgs(config.workerHeap(), config.workerClasspath()));
        return args;
    }

    /** A label value: at most 63 of {@code [A-Za-z0-9._-]}, starting and ending alphanumeric. */
    static String labelValue(String v) {
        String s = v.length() > 63 ? v.substring(0, 63) : v;
        return s.replaceAll("^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "");
    }
}
