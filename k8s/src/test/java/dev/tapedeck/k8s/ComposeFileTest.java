package dev.tapedeck.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.tapedeck.contract.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code infra/compose} is wired the way k8s/base is: checked from the file, since no Docker engine runs here to
 * start it.
 */
class ComposeFileTest {
    static final Path COMPOSE = Rendered.K8S.getParent().resolve("infra/compose");
    static JsonNode services;

    @BeforeAll
    static void read() throws Exception {
        services = new ObjectMapper(new YAMLFactory()).readTree(COMPOSE.resolve("docker-compose.yml").toFile()).get("services");
    }

    /** A service's environment: its env_file, then its own entries. */
    static Map<String, String> env(String service) throws java.io.IOException {
        Map<String, String> env = new HashMap<>();
        JsonNode file = services.get(service).get("env_file");
        if (file != null) {
            for (String line : Files.readAllLines(COMPOSE.resolve(file.asText()))) {
                if (!line.isBlank() && !line.startsWith("#")) {
                    String[] kv = line.split("=", 2);
                    env.put(kv[0], kv[1]);
                }
            }
        }
        JsonNode own = services.get(service).get("environment");
        if (own != null) {
            own.fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        }
        return env;
    }

    @Test
    void everyServiceIsBuiltFromItsDockerfileAndReachesKafkaAndMinio() throws Exception {
        for (String service : ManifestsTest.SERVICES) {
            JsonNode build = services.get(service).get("build");
            assertThat(build).as(service).isNotNull();
            assertThat(COMPOSE.resolve(build.get("context").asText()).resolve(build.get("dockerfile").asText()).normalize())
                    .as("%s's Dockerfile", service).exists();
            Map<String, String> env = env(service);
            assertThat(env).containsEntry("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092").containsEntry("TAPEDECK_STORAGE_ENDPOINT", "http://minio:9000");
        }
        assertThat(env("ingest-hook").get("TAPEDECK_HOOK_TRANSCODER_TOKEN")).as("the rungs' credential")
                .isEqualTo(env("transcoder").get("TAPEDECK_TRANSCODER_TOKEN"));
        assertThat(env("recorder").get("TAPEDECK_STORAGE_ACCESS_KEY")).isEqualTo(services.get("minio").get("environment")
                .get("MINIO_ROOT_USER").asText());
        assertThat(services.get("kafka").get("environment").get("KAFKA_ADVERTISED_LISTENERS").asText()).isEqualTo("PLAINTEXT://kafka:9092");
    }

    @Test
    void srsCallsIngestHookOnItsPortAndKeepsTheSourcesTimestamps() throws Exception {
        String conf = Files.readString(COMPOSE.resolve("srs.conf"));
        String port = Files.readAllLines(Rendered.K8S.getParent().resolve("ingest-hook/src/main/resources/application.properties")).stream()
                .filter(l -> l.startsWith("quarkus.http.port=")).findFirst().orElseThrow().split("=")[1];
        Matcher m = Pattern.compile("(on_\\w+)\\s+(http://\\S+);").matcher(conf);
        int hooks = 0;
        while (m.find()) {
            assertThat(m.group(2)).as(m.group(1)).isEqualTo("http://ingest-hook:" + port + "/hooks/srs");
            hooks++;
        }
        assertThat(hooks).isEqualTo(4);
        assertThat(conf).containsPattern("play\\s*\\{[^}]*atc\\s+on;");
    }

    @Test
    void theTopicsAreTheContractsWithTheirCleanupPolicy() {
        String script = services.get("kafka-topics").get("command").get(0).asText();
        for (Topics.Spec t : Topics.ALL) {
            assertThat(script).contains(t.name() + ":" + t.cleanupPolicy());
        }
    }

    @Test
    void everySettingNamedIsOneTheServicesDocument() throws Exception {
        StringBuilder docs = new StringBuilder();
        for (String module : new String[] {"storage", "ingest-hook", "transcoder", "recorder", "packager", "vod-api"}) {
            docs.append(Files.readString(Rendered.K8S.getParent().resolve(module).resolve("README.md")));
        }
        for (String service : ManifestsTest.SERVICES) {
            for (String name : env(service).keySet()) {
                assertThat(docs.toString()).as("%s sets %s", service, name).contains("`" + name + "`");
            }
        }
    }
}
