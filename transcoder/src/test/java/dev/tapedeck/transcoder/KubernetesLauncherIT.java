package dev.tapedeck.transcoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.JobStatusChanged;
import dev.tapedeck.contract.event.JobStatusChanged.Status;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.kafka.CloudEventSerializer;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import dev.tapedeck.transcoder.launcher.KubernetesWorkerLauncher;
import dev.tapedeck.transcoder.service.ControllerService;
import dev.tapedeck.transcoder.worker.WorkRequest;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@WithKubernetesTestServer(crud = true)
@QuarkusTestResource(TapedeckTestResource.class)
@TestProfile(KubernetesLauncherIT.TwoWorkers.class)
class KubernetesLauncherIT {

    static final String CONTROLLER_POD = "transcoder-5d8c7b9f4-x2k9q";
    static final String IMAGE = "registry.example/tapedeck/transcoder:1.2.3";

    /** A cap of two workers, an explicit namespace, the image found on the controller's own Pod. */
    public static class TwoWorkers implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    // Only this class publishes to the test broker: reading from the start cannot miss its event.
                    "mp.messaging.incoming.streams.auto.offset.reset", "earliest",
                    "tapedeck.transcoder.launcher", "kubernetes",
                    "tapedeck.transcoder.max-workers", "2",
                    // No image configured: the workers run the image of the controller's own Pod.
                    "tapedeck.transcoder.kubernetes.pod-name", CONTROLLER_POD,
                    "tapedeck.transcoder.kubernetes.namespace", "media",
                    "tapedeck.transcoder.media-server-url", "rtmp://srs.media.svc:1935",
                    "tapedeck.transcoder.app-ladders.studio", "1080p:5000k,720p:2800k");
        }
    }

    /** The application's client: every call it makes is the launcher's. */
    @Inject
    KubernetesClient client;

    @KubernetesTestServer
    KubernetesServer server;

    /** The test's own calls (setting up and faking Job states), told apart from the launcher's by their user agent. */
    KubernetesClient testClient;

    @Inject
    ControllerService controller;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @BeforeEach
    void noJobs() {
        if (testClient == null) {
            testClient = new KubernetesClientBuilder().withConfig(new ConfigBuilder(client.getConfiguration())
                    .withUserAgent(TEST_AGENT).build()).build();
        }
        String own = client.getNamespace() == null ? "default" : client.getNamespace();
        if (testClient.pods().inNamespace(own).withName(CONTROLLER_POD).get() == null) {
            testClient.pods().inNamespace(own).resource(new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata()
                    .withName(CONTROLLER_POD).endMetadata().withNewSpec().addNewContainer().withName("transcoder").withImage(IMAGE)
                    .endContainer().endSpec().build()).create();
        }
        testClient.batch().v1().jobs().inNamespace("media").delete();
        await().atMost(Duration.ofSeconds(10)).until(() -> jobs().isEmpty());
    }

    static StreamPublished published(String app, String stream, boolean derived) {
        String id = Ids.uuid7();
        String key = "__defaultVhost__/" + app + "/" + stream;
        return new StreamPublished(key, "__defaultVhost__", app, stream, id, id, derived, key, derived ? "720p" : "source",
                "srs", "vid-1", "1", "203.0.113.7", "rtmp://srs/" + app, Instant.now());
    }

    List<Job> jobs() {
        return testClient.batch().v1().jobs().inNamespace("media").list().getItems();
    }

    @Test
    void jobCarriesImageWorkRequestResourcesLabelsAndTtl() {
        StreamPublished p = published("live", "cam1", false);
        controller.onPublished(p);

        Job job = testClient.batch().v1().jobs().inNamespace("media").withName("tapedeck-worker-" + p.sessionId()).get();
        assertThat(job).isNotNull();
        assertThat(job.getMetadata().getLabels()).containsEntry("app.kubernetes.io/name", "tapedeck-worker")
                .containsEntry("tapedeck.dev/session", p.sessionId()).containsEntry("tapedeck.dev/stream", "live.cam1");
        assertThat(job.getMetadata().getAnnotations()).containsEntry("tapedeck.dev/stream-key", "__defaultVhost__/live/cam1");
        assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(300);
        assertThat(job.getSpec().getBackoffLimit()).isZero();
        assertThat(job.getSpec().getTemplate().getSpec().getRestartPolicy()).isEqualTo("Never");
        assertThat(job.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("tapedeck.dev/session", p.sessionId());

        Container c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getImage()).isEqualTo(IMAGE);
        assertThat(c.getCommand()).containsExactly("java");
        assertThat(c.getArgs()).containsExactly("-Dorg.bytedeco.javacpp.cachedir=/tmp/javacpp", "-Djava.io.tmpdir=/tmp", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.jboss.logging.provider=jdk", "-Djava.util.logging.SimpleFormatter.format=%1$tF %1$tT %4$s [%3$s] %5$s%6$s%n", "-cp", "/deployments/lib/boot/*:/deployments/lib/main/*:/deployments/app/*",
                "dev.tapedeck.transcoder.worker.WorkerMain");
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).as("read-only root").isTrue();
        assertThat(c.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(c.getVolumeMounts()).singleElement().satisfies(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
        assertThat(job.getSpec().getTemplate().getSpec().getVolumes()).singleElement()
                .satisfies(v -> assertThat(v.getEmptyDir()).as("/tmp is a volume").isNotNull());
        assertThat(c.getPorts()).singleElement().satisfies(port -> assertThat(port.getContainerPort()).isEqualTo(9400));
        assertThat(job.getSpec().getTemplate().getMetadata().getAnnotations()).containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", "9400");
        EnvVar work = c.getEnv().stream().filter(e -> e.getName().equals(WorkRequest.ENV)).findFirst().orElseThrow();
        WorkRequest request = WorkRequest.fromJson(work.getValue());
        assertThat(request).isEqualTo(new WorkRequest(p.sessionId(), p.recordingId(), p.streamKey(),
                "rtmp://srs.media.svc:1935/live/cam1?tapedeck-role=transcoder", "rtmp://srs.media.svc:1935/live-abr", "cam1",
                "720p:2800k,480p:1400k,360p:800k"));
        assertThat(request.rungUrl("720p", "t+k"))
                .isEqualTo("rtmp://srs.media.svc:1935/live-abr/cam1_720p?token=t%2Bk&recording=" + p.recordingId());
        EnvVar token = c.getEnv().stream().filter(e -> e.getName().equals(KubernetesWorkerLauncher.TOKEN_ENV)).findFirst().orElseThrow();
        assertThat(token.getValue()).as("the credential comes from a Secret, never inline").isNull();
        assertThat(token.getValueFrom().getSecretKeyRef().getName()).isEqualTo("tapedeck-transcoder");
        // 300m decode + 600m (720p) + 267m (480p) + 150m (360p), rounded up to 50m.
        assertThat(c.getResources().getRequests()).containsEntry("cpu", new Quantity("1350m")).containsEntry("memory", new Quantity("448Mi"));
        assertThat(c.getResources().getLimits()).containsEntry("memory", new Quantity("896Mi"));
    }

    @Test
    void appLadderOverridesTheDefault() {
        StreamPublished p = published("studio", "desk", false);
        controller.onPublished(p);
        Job job = testClient.batch().v1().jobs().inNamespace("media").withName("tapedeck-worker-" + p.sessionId()).get();
        String json = job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().equals(WorkRequest.ENV)).findFirst().orElseThrow().getValue();
        assertThat(WorkRequest.fromJson(json).ladder()).isEqualTo("1080p:5000k,720p:2800k");
    }

    @Test
    void redeliveredEventCreatesNothingNewAndTheCapRefusesWithLimitReached() {
        try (TopicReader jobEvents = new TopicReader(kafka, Topics.JOBS)) {
            jobEvents.readToEnd();
            StreamPublished a = published("live", "a", false);
            StreamPublished b = published("live", "b", false);
            StreamPublished c = published("live", "c", false);
            controller.onPublished(a);
            String uid = jobs().get(0).getMetadata().getUid();
            controller.onPublished(a);
            assertThat(jobs()).hasSize(1);
            assertThat(jobs().get(0).getMetadata().getUid()).as("the same Job, not a new one").isEqualTo(uid);
            controller.onPublished(b);
            controller.onPublished(c);
            controller.onPublished(published("live-abr", "a_720p", true));

            assertThat(jobs()).extracting(j -> j.getMetadata().getName())
                    .containsExactlyInAnyOrder("tapedeck-worker-" + a.sessionId(), "tapedeck-worker-" + b.sessionId());
            JobStatusChanged limit = (JobStatusChanged) jobEvents.await(r -> r.value().data() instanceof JobStatusChanged j
                    && j.sessionId().equals(c.sessionId()), Duration.ofSeconds(10)).value().data();
            assertThat(limit.status()).isEqualTo(Status.LIMIT_REACHED);
            assertThat(limit.scope()).isEqualTo(JobStatusChanged.Scope.SYSTEM);
            assertThat(limit.retryable()).isTrue();
            assertThat(limit.message()).contains("2 of 2");
            assertThat(jobEvents.readToEnd()).filteredOn(r -> ((JobStatusChanged) r.value().data()).sessionId().equals(a.sessionId()))
                    .extracting(r -> ((JobStatusChanged) r.value().data()).status()).containsExactly(Status.STARTING);
        }
    }

    @Test
    void jobStatesAreReportedWithExactlyOneFinalState() {
        try (TopicReader jobEvents = new TopicReader(kafka, Topics.JOBS)) {
            jobEvents.readToEnd();
            StreamPublished p = published("live", "watched", false);
            controller.onPublished(p);
            String name = "tapedeck-worker-" + p.sessionId();
            var jobs = testClient.batch().v1().jobs().inNamespace("media");
            jobs.withName(name).editStatus(j -> {
                j.setStatus(new JobStatusBuilder().withActive(1).build());
                return j;
            });
            jobEvents.await(r -> r.value().data() instanceof JobStatusChanged j && j.sessionId().equals(p.sessionId())
                    && j.status() == Status.ACTIVE, Duration.ofSeconds(10));
            jobs.withName(name).editStatus(j -> {
                j.setStatus(new JobStatusBuilder().withActive(0).withSucceeded(1)
                        .withConditions(new JobConditionBuilder().withType("Complete").withStatus("True").build()).build());
                return j;
            });
            jobEvents.await(r -> r.value().data() instanceof JobStatusChanged j && j.sessionId().equals(p.sessionId())
                    && j.status() == Status.COMPLETE, Duration.ofSeconds(10));
            jobs.withName(name).delete();
            await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> jobs().isEmpty());
            assertThat(jobEvents.readToEnd()).filteredOn(r -> ((JobStatusChanged) r.value().data()).sessionId().equals(p.sessionId()))
                    .extracting(r -> ((JobStatusChanged) r.value().data()).status())
                    .containsExactly(Status.STARTING, Status.ACTIVE, Status.COMPLETE);
        }
    }

    @Test
    void deletedUnfinishedJobIsReportedAborted() {
        try (TopicReader jobEvents = new TopicReader(kafka, Topics.JOBS)) {
            jobEvents.readToEnd();
            StreamPublished p = published("live", "killed", false);
            controller.onPublished(p);
            testClient.batch().v1().jobs().inNamespace("media").withName("tapedeck-worker-" + p.sessionId()).delete();
            JobStatusChanged aborted = (JobStatusChanged) jobEvents.await(r -> r.value().data() instanceof JobStatusChanged j
                    && j.sessionId().equals(p.sessionId()) && j.status().isFinal(), Duration.ofSeconds(10)).value().data();
            assertThat(aborted.status()).isEqualTo(Status.ABORTED);
            assertThat(aborted.code()).isEqualTo("JOB_DELETED");
        }
    }

    @Test
    void publishOnKafkaStartsAWorker() throws Exception {
        StreamPublished p = published("live", "viakafka", false);
        Properties props = new Properties();
        props.put("bootstrap.servers", kafka);
        try (var producer = new KafkaProducer<String, CloudEvent<?>>(props, new StringSerializer(), new CloudEventSerializer())) {
            producer.send(new ProducerRecord<>(Topics.STREAMS, p.streamKey(), CloudEvent.of("test", p, Clock.systemUTC()))).get();
        }
        await().atMost(Duration.ofSeconds(20)).until(() ->
                testClient.batch().v1().jobs().inNamespace("media").withName("tapedeck-worker-" + p.sessionId()).get() != null);
    }

    static dev.tapedeck.contract.event.StreamUnpublished unpublished(StreamPublished p) {
        return new dev.tapedeck.contract.event.StreamUnpublished(p.streamKey(), p.vhost(), p.app(), p.stream(), p.sessionId(), false,
                "srs", "vid-1", Instant.now(), p.recordingId());
    }

    @Test
    void anUnpublishedSourceAsksItsWorkerPodToFinishWithTheKeyItsJobCarries() throws Exception {
        StreamPublished p = published("live", "finish", false);
        controller.onPublished(p);
        Job job = testClient.batch().v1().jobs().inNamespace("media").withName("tapedeck-worker-" + p.sessionId()).get();
        String key = job.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().equals("TAPEDECK_WORKER_FINISH_KEY")).map(EnvVar::getValue).findFirst().orElseThrow();
        assertThat(key).hasSizeGreaterThan(30);
        // The worker's metrics port, here: what a Pod of the Job would answer on its IP.
        List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer worker = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        worker.createContext("/finish", exchange -> {
            heard.add(exchange.getRequestMethod() + " " + exchange.getRequestHeaders().getFirst("Authorization"));
            exchange.sendResponseHeaders(202, -1);
            exchange.close();
        });
        worker.start();
        try {
            testClient.pods().inNamespace("media").resource(new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata()
                    .withName("tapedeck-worker-" + p.sessionId() + "-abcde").addToLabels("tapedeck.dev/session", p.sessionId())
                    .endMetadata().withNewSpec().addNewContainer().withName("worker").withImage(IMAGE).addNewPort().withName("metrics")
                    .withContainerPort(worker.getAddress().getPort()).endPort().endContainer().endSpec()
                    .withNewStatus().withPhase("Running").withPodIP("127.0.0.1").endStatus().build()).create();
            controller.onUnpublished(unpublished(p));
            await().atMost(Duration.ofSeconds(10)).until(() -> !heard.isEmpty());
            assertThat(heard).containsExactly("POST Bearer " + key);
        } finally {
            worker.stop(0);
        }
    }

    @Test
    void theRoleInK8sAllowsEveryCallTheLauncherMadeAndNothingElse() throws Exception {
        StreamPublished p = published("live", "rbac", false);
        controller.onPublished(p);
        assertThat(jobs()).isNotEmpty();
        controller.onUnpublished(unpublished(p));
        // Every request since the application started (the informer's list and watch included), but the test's own.
        Set<String> used = new TreeSet<>();
        for (RecordedRequest r; (r = server.getKubernetesMockServer().takeRequest(1, TimeUnit.SECONDS)) != null; ) {
            if (!TEST_AGENT.equals(r.getHeader("User-Agent"))) {
                used.add(verbAndResource(r.getMethod(), r.getPath()));
            }
        }
        Set<String> granted = new TreeSet<>();
        Role role = roleOfTheController();
        for (PolicyRule rule : role.getRules()) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        granted.add(verb + " " + (group.isEmpty() ? "" : group + "/") + resource);
                    }
                }
            }
        }
        assertThat(used).as("the launcher's calls").contains("create batch/jobs", "list batch/jobs", "watch batch/jobs", "get pods",
                "get batch/jobs", "list pods");
        assertThat(granted).as("the Role in k8s/base/generated/transcoder.yml grants exactly the calls made").isEqualTo(used);
    }

    static final String TEST_AGENT = "tapedeck-test";

    /** {@code POST /apis/batch/v1/namespaces/media/jobs} → {@code create batch/jobs}. */
    static String verbAndResource(String method, String path) {
        String[] pathAndQuery = path.split("\\?", 2);
        Matcher m = Pattern.compile("^/(?:api/v1|apis/([^/]+)/[^/]+)/namespaces/[^/]+/([^/]+)(/[^/]+)?(/.*)?$").matcher(pathAndQuery[0]);
        if (!m.matches()) {
            throw new AssertionError("a call outside a namespace: " + method + " " + path);
        }
        String resource = (m.group(1) == null ? "" : m.group(1) + "/") + m.group(2) + (m.group(4) == null ? "" : m.group(4));
        boolean item = m.group(3) != null;
        boolean watch = pathAndQuery.length > 1 && pathAndQuery[1].contains("watch=true");
        String verb = switch (method) {
            case "GET" -> watch ? "watch" : item ? "get" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> item ? "delete" : "deletecollection";
            default -> method.toLowerCase(java.util.Locale.ROOT);
        };
        return verb + " " + resource;
    }

    /** The Role bound to the controller's service account, from the committed manifests. */
    static Role roleOfTheController() throws Exception {
        Path file = Path.of("..", "k8s", "base", "generated", "transcoder.yml");
        List<HasMetadata> resources = Serialization.unmarshal(Files.newInputStream(file));
        return resources.stream().filter(Role.class::isInstance).map(Role.class::cast).findFirst()
                .orElseThrow(() -> new AssertionError("no Role in " + file));
    }
}
