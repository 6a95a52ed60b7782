package dev.tapedeck.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Apache Kafka broker in KRaft mode (combined broker + controller), running in this
 * JVM. The log directory is formatted once and survives restarts.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final KafkaRaftServer server;
    private final Path dataDir;
    private final int port;
    private final int controllerPort;

    private EmbeddedKafka(KafkaRaftServer server, Path dataDir, int port, int controllerPort) {
        this.server = server;
        this.dataDir = dataDir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /** Starts a broker on {@code port} (0 picks a free one) with its data under {@code dataDir}. */
    public static EmbeddedKafka start(Path dataDir, int port) throws Exception {
        return start(dataDir, port, Ports.free());
    }

    /**
     * After {@link #close()}: the same broker again, on the same ports with the same data, as after a crash or an
     * outage; clients connected before reconnect by themselves.
     */
    public EmbeddedKafka restart() throws Exception {
        return start(dataDir, port, controllerPort);
    }

    private static EmbeddedKafka start(Path dataDir, int port, int controllerPort) throws Exception {
        Files.createDirectories(dataDir);
        int brokerPort = port == 0 ? Ports.free() : port;
        Map<String, String> props = new HashMap<>();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        props.put("controller.listener.names", "CONTROLLER");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("log.dirs", dataDir.toAbsolutePath().toString());
        // One node: every internal topic has one replica.
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "4");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        // Consumers join at once instead of waiting 3 s for more members.
        props.put("group.initial.rebalance.delay.ms", "0");
        // Lets the recorder pool use a short session timeout, so takeover after a kill is quick in tests and locally.
        props.put("group.min.session.timeout.ms", "1000");
        // The default 128 MiB cleaner buffer would dominate a small heap.
        props.put("log.cleaner.dedupe.buffer.size", "4194304");
        props.put("num.partitions", "3");
        props.put("auto.create.topics.enable", "true");
        KafkaConfig config = new KafkaConfig(props);

        Path meta = dataDir.resolve("meta.properties");
        if (!Files.exists(meta)) {
            new Formatter()
                    .setNodeId(1)
                    .setClusterId(Uuid.randomUuid().toString())
                    .addDirectory(dataDir.toAbsolutePath().toString())
                    .setMetadataLogDirectory(dataDir.toAbsolutePath().toString())
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setControllerListenerName("CONTROLLER")
                    .setIgnoreFormatted(true)
                    .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                    .run();
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        Ports.awaitOpen("127.0.0.1", brokerPort, java.time.Duration.ofSeconds(30));
        return new EmbeddedKafka(server, dataDir, brokerPort, controllerPort);
    }

    /** {@code 127.0.0.1:port} */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
    }

}
