package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TopicReader;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The {@code containers} profile ({@code ./mvnw -Pcontainers verify -pl infra/stack}): the adaptive pipeline on
 * Testcontainers' Kafka and MinIO and an SRS container, so SRS's real callbacks and its {@code atc} are exercised
 * (ingest-hook's defaults: SRS publishes are not held for their players). The
 * services run as in every other end-to-end test (their own JVMs, {@link Stack}). Where no Docker engine answers it
 * is skipped, saying so; the fault tests stay on the embedded parts (they stop nginx and the S3 server).
 */
@ExtendWith(ContainersPipelineIT.DockerEngine.class)
@Execution(ExecutionMode.SAME_THREAD) // a 720p ladder, and containers
class ContainersPipelineIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    /** Disables the class, saying why, where no Docker engine answers. */
    static final class DockerEngine implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return DockerClientFactory.instance().isDockerAvailable() ? ConditionEvaluationResult.enabled("a Docker engine answers")
                    : ConditionEvaluationResult.disabled("no Docker engine answers here: ContainersPipelineIT is skipped; "
                            + "the embedded end-to-end suite runs as without the containers profile");
        }
    }

    static final String KAFKA_IMAGE = System.getProperty("tapedeck.containers.kafka", "apache/kafka:4.1.0");
    static final String MINIO_IMAGE = System.getProperty("tapedeck.containers.minio", "minio/minio:RELEASE.2025-04-22T22-12-26Z");
    static final String SRS_IMAGE = System.getProperty("tapedeck.containers.srs", "ossrs/srs:7");
    static final String MINIO_USER = "tapedeck-test";
    static final String MINIO_PASSWORD = "tapedeck-test-secret";
    static final double PUBLISHED_SECONDS = 30;

    static KafkaContainer kafka;
    static GenericContainer<?> minio;
    static GenericContainer<?> srs;

    /** SRS as in k8s/base and infra/compose: hooks on ingest-hook (here on the host), the source's timestamps kept. */
    static String srsConfig(int hookPort) {
        return SrsTest.srsConfig(1935, "http://host.testcontainers.internal:" + hookPort + "/hooks/srs", "/tmp/srs.pid");
    }

    @BeforeAll
    static void start() throws Exception {
        kafka = new KafkaContainer(DockerImageName.parse(KAFKA_IMAGE));
        kafka.start();
        minio = new GenericContainer<>(DockerImageName.parse(MINIO_IMAGE)).withCommand("server", "/data")
                .withEnv("MINIO_ROOT_USER", MINIO_USER).withEnv("MINIO_ROOT_PASSWORD", MINIO_PASSWORD).withExposedPorts(9000)
                .waitingFor(Wait.forHttp("/minio/health/ready").forPort(9000));
        minio.start();
        Path home = Path.of(System.getProperty("tapedeck.home", "../..")).toAbsolutePath().normalize();
        Stack.Settings settings = Stack.Settings.freePorts(home, data, Duration.ofSeconds(10));
        // SRS calls ingest-hook on this machine.
        org.testcontainers.Testcontainers.exposeHostPorts(settings.hookPort());
        srs = new GenericContainer<>(DockerImageName.parse(SRS_IMAGE)).withAccessToHost(true).withExposedPorts(1935)
                .withCopyToContainer(Transferable.of(srsConfig(settings.hookPort())), "/etc/srs/srs.conf")
                .withCommand("./objs/srs", "-c", "/etc/srs/srs.conf").waitingFor(Wait.forListeningPort());
        srs.start();
        stack = Stack.start(settings, new Stack.External(kafka.getBootstrapServers(),
                "http://" + minio.getHost() + ":" + minio.getMappedPort(9000), MINIO_USER, MINIO_PASSWORD,
                "rtmp://" + srs.getHost() + ":" + srs.getMappedPort(1935)), m -> System.out.println("[stack] " + m));
    }

    @AfterAll
    static void stopContainers() {
        if (stack != null) {
            stack.close(); // the services finish their work while the servers are still there
        }
        for (GenericContainer<?> c : new GenericContainer<?>[] {srs, minio, kafka}) {
            if (c != null) {
                c.stop();
            }
        }
    }

    @Test
    void aStreamPublishedToSrsBecomesAnAdaptiveReplayWhoseRungsLastAsLongAsTheSource() throws Exception {
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS)) {
            try (Publisher publisher = Publisher.start(stack.rtmpUrl("live", "containers"), 1280, 720, 30, PUBLISHED_SECONDS,
                    data.resolve("publisher.log"))) {
                assertThat(publisher.await()).as(publisher.output()).isZero();
            }
            String id = ((StreamPublished) streams.await(r -> r.value().data() instanceof StreamPublished p
                    && p.stream().equals("containers") && !p.derived(), Duration.ofSeconds(30)).value().data()).recordingId();
            CatalogEntry ready = (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id) && c.status() != CatalogEntry.Status.LIVE, Duration.ofSeconds(180)).value().data();
            assertThat(ready.status()).isEqualTo(CatalogEntry.Status.READY);
            assertThat(ready.renditions()).extracting(CatalogEntry.Rendition::name).containsExactly("source", "480p", "360p");
            String vod = stack.apiUrl() + "/vod/" + id;
            double source = MediaTools.duration(vod + "/source/index.m3u8");
            // SRS hands a player its GOP cache: the recording begins at the GOP the recorder joined, and goes on to the end.
            double missed = SrsTest.firstSliceSeconds(id);
            assertThat(source).as("the source's recording, from the GOP the recorder joined (%.3f s in)", missed)
                    .isCloseTo(PUBLISHED_SECONDS - missed, within(0.1));
            // SRS publishes are not held for the worker (ingest-hook's default): a rung may start at the GOP its worker
            // joined; the manifest says how much later, and its playlist has the source's segments there as gaps, so
            // it covers the source's time segment for segment.
            com.fasterxml.jackson.databind.JsonNode manifest = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(get(vod + "/manifest.json"));
            for (String rung : new String[] {"480p", "360p"}) {
                double late = manifest.path("renditions").path(rung).path("startsAfterSourceMillis").asLong(0) / 1000.0;
                System.out.printf("[containers] %s starts %.3f s after the source%n", rung, late);
                String playlist = get(vod + "/" + rung + "/index.m3u8");
                assertThat(WorkerCrashIT.extinf(playlist).stream().mapToDouble(Double::doubleValue).sum())
                        .as("%s covers the source's time: %s", rung, playlist)
                        .isCloseTo(WorkerCrashIT.extinf(get(vod + "/source/index.m3u8")).stream().mapToDouble(Double::doubleValue).sum(),
                                within(0.1));
                if (late > 0.05) {
                    assertThat(playlist).as("%s began late: the source's first segments are its gaps", rung).contains("#EXT-X-GAP");
                }
            }
            assertThat(MediaTools.decodeErrors(vod + "/master.m3u8")).isEmpty();
        }
    }
}
