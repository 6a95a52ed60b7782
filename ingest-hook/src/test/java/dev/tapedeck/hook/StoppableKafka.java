package dev.tapedeck.hook;

import dev.tapedeck.testkit.EmbeddedKafka;
import dev.tapedeck.testkit.TapedeckTopics;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** A broker of the test class's own, which the test stops and starts again (an outage), and a fresh outbox directory. */
public class StoppableKafka implements QuarkusTestResourceLifecycleManager {
    static volatile EmbeddedKafka broker;
    static volatile Path outbox;

    @Override
    public Map<String, String> start() {
        try {
            Path dir = Files.createTempDirectory("tapedeck-hook-outage");
            broker = EmbeddedKafka.start(dir.resolve("kafka"), 0);
            TapedeckTopics.create(broker.bootstrapServers(), 3);
            outbox = dir.resolve("outbox");
            return Map.of("kafka.bootstrap.servers", broker.bootstrapServers(),
                    "tapedeck.hook.outbox-dir", outbox.toString());
        } catch (Exception e) {
            throw new IllegalStateException("could not start the test's broker", e);
        }
    }

    static void stopBroker() {
        broker.close();
    }

    static void startBroker() throws Exception {
        broker = broker.restart();
    }

    /** Waits until the outbox has tried and failed to deliver at least once (the broker is really gone for it). */
    static void awaitFailedOutboxAttempt() {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while (failedOutboxAttempts() < 1) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the outbox never tried to deliver while the broker was stopped");
            }
            Thread.onSpinWait();
        }
    }

    private static double failedOutboxAttempts() {
        String metrics = io.restassured.RestAssured.get("/q/metrics").asString();
        return metrics.lines().filter(l -> l.startsWith("tapedeck_hook_outbox_failed_attempts_total"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Override
    public void stop() {
        broker.close();
    }
}
