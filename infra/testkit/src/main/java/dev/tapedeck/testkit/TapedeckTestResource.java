package dev.tapedeck.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Quarkus test resource: the embedded Kafka broker and S3 server on free ports, shared by every test
 * of the JVM, and the configuration that points a service at them.
 */
public class TapedeckTestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        TestServers servers = TestServers.get();
        return Map.of(
                "kafka.bootstrap.servers", servers.kafka().bootstrapServers(),
                "tapedeck.storage.endpoint", servers.s3().endpoint(),
                "tapedeck.storage.access-key", EmbeddedS3.ACCESS_KEY,
                "tapedeck.storage.secret-key", EmbeddedS3.SECRET_KEY,
                "tapedeck.storage.bucket", "tapedeck-test",
                "quarkus.devservices.enabled", "false");
    }

    @Override
    public void stop() {
        // The servers live as long as the test JVM: other test classes reuse them.
    }

    /** The JVM-wide servers, started on first use and stopped at JVM exit. */
    public record TestServers(EmbeddedKafka kafka, EmbeddedS3 s3, Path dir) {
        private static TestServers instance;

        public static synchronized TestServers get() {
            if (instance == null) {
                try {
                    Path dir = Files.createTempDirectory("tapedeck-test");
                    EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0);
                    EmbeddedS3 s3 = EmbeddedS3.start(dir.resolve("s3"), 0);
                    TapedeckTopics.create(kafka.bootstrapServers(), 3);
                    instance = new TestServers(kafka, s3, dir);
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                        try {
                            s3.close();
                        } catch (Exception ignored) {
                            // exiting anyway
                        }
                        kafka.close();
                    }, "tapedeck-test-servers-stop"));
                } catch (Exception e) {
                    throw new IllegalStateException("could not start the embedded Kafka broker and S3 server", e);
                }
            }
            return instance;
        }
    }
}
