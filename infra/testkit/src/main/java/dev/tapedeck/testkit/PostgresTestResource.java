package dev.tapedeck.testkit;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Files;
import java.util.Map;

/**
 * Quarkus test resource: a real PostgreSQL server on a free port ({@link EmbeddedPostgres}), shared by every test of
 * the JVM, and the datasource settings that point a service at it.
 */
public class PostgresTestResource implements QuarkusTestResourceLifecycleManager {
    private static EmbeddedPostgres instance;

    /** The JVM-wide server, started on first use and stopped at JVM exit. */
    public static synchronized EmbeddedPostgres server() {
        if (instance == null) {
            try {
                EmbeddedPostgres pg = EmbeddedPostgres.start(Files.createTempDirectory("tapedeck-pg").resolve("data"), 0, false);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        pg.close();
                    } catch (Exception ignored) {
                        // exiting anyway
                    }
                }, "tapedeck-test-postgres-stop"));
                instance = pg;
            } catch (Exception e) {
                throw new IllegalStateException("could not start PostgreSQL", e);
            }
        }
        return instance;
    }

    @Override
    public Map<String, String> start() {
        EmbeddedPostgres pg = server();
        return Map.of(
                "quarkus.datasource.jdbc.url", pg.jdbcUrl(),
                "quarkus.datasource.username", EmbeddedPostgres.USER,
                "quarkus.datasource.password", "");
    }

    @Override
    public void stop() {
        // The server lives as long as the test JVM: other test classes reuse it.
    }
}
