package dev.tapedeck.stack;

import dev.tapedeck.testkit.EmbeddedKafka;
import dev.tapedeck.testkit.EmbeddedS3;
import dev.tapedeck.testkit.Ports;
import dev.tapedeck.testkit.TapedeckTopics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The whole pipeline on one machine: a real Kafka broker (KRaft) and a real S3 server in this JVM,
 * nginx with the RTMP module as the media server, and every service as its own JVM.
 */
public final class Stack implements AutoCloseable {
    /** Bucket of the local stack. */
    public static final String BUCKET = "tapedeck";
    /** The transcoder's credential in the local stack (reserved apps accept only it). */
    public static final String TRANSCODER_TOKEN = "local-transcoder-token";
    /**
     * How long a source publish is held for the recorder and the worker when transcoding. With the hook's
     * 3 s ack timeout it stays below nginx-rtmp's 10 s hook timeout.
     */
    static final String ATTACH_WAIT_TRANSCODING = "6s";

    /**
     * Where things live and listen.
     *
     * @param home        the repository root (services run from {@code <module>/target/quarkus-app})
     * @param dataDir     survives restarts: Kafka's log, the S3 server's objects, logs, spool
     * @param sliceLength recorder slice length
     * @param transcode   whether the transcoder runs (rungs, adaptive replays) or only the source is recorded
     */
    public record Settings(Path home, Path dataDir, int kafkaPort, int s3Port, int rtmpPort, int hookPort, int recorderPort,
            int packagerPort, int apiPort, int transcoderPort, Duration sliceLength, boolean transcode) {

        /** The fixed ports people expect: RTMP 1935, API 8080, S3 9000, Kafka 9092; the transcoder runs. */
        public static Settings defaults(Path home, Path dataDir, Duration sliceLength) {
            return new Settings(home, dataDir, 9092, 9000, 1935, 8081, 8082, 8083, 8080, 8084, sliceLength, true);
        }

        /** Free ports everywhere, for tests; the transcoder runs. */
        public static Settings freePorts(Path home, Path dataDir, Duration sliceLength) {
            return new Settings(home, dataDir, Ports.free(), Ports.free(), Ports.free(), Ports.free(), Ports.free(), Ports.free(),
                    Ports.free(), Ports.free(), sliceLength, true);
        }

        /** The same settings with the transcoder on or off. */
        public Settings transcode(boolean on) {
            return new Settings(home, dataDir, kafkaPort, s3Port, rtmpPort, hookPort, recorderPort, packagerPort, apiPort,
                    transcoderPort, sliceLength, on);
        }
    }

    private final Settings settings;
    private final List<AutoCloseable> running = new ArrayList<>();
    private EmbeddedKafka kafka;
    private EmbeddedS3 s3;

    private Stack(Settings settings) {
        this.settings = settings;
    }

    /** Starts everything and waits until every service is ready; {@code progress} hears each step. */
    public static Stack start(Settings settings, Consumer<String> progress) throws Exception {
        Stack stack = new Stack(settings);
        try {
            stack.startAll(progress);
            return stack;
        } catch (Exception e) {
            stack.close();
            throw e;
        }
    }

    private void startAll(Consumer<String> progress) throws Exception {
        Path data = settings.dataDir();
        Path logs = data.resolve("logs");
        Files.createDirectories(logs);
        checkPortsFree();

        progress.accept("starting Kafka (KRaft) on 127.0.0.1:" + settings.kafkaPort());
        kafka = EmbeddedKafka.start(data.resolve("kafka"), settings.kafkaPort());
        running.add(kafka);
        TapedeckTopics.create(kafka.bootstrapServers(), 3);

        progress.accept("starting the S3 server on " + "http://127.0.0.1:" + settings.s3Port() + " (objects under " + data.resolve("s3") + ")");
        s3 = EmbeddedS3.start(data.resolve("s3"), settings.s3Port());
        running.add(s3);

        Map<String, String> common = new HashMap<>();
        common.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        common.put("TAPEDECK_STORAGE_ENDPOINT", s3.endpoint());
        common.put("TAPEDECK_STORAGE_ACCESS_KEY", EmbeddedS3.ACCESS_KEY);
        common.put("TAPEDECK_STORAGE_SECRET_KEY", EmbeddedS3.SECRET_KEY);
        common.put("TAPEDECK_STORAGE_BUCKET", BUCKET);

        String rtmp = "rtmp://127.0.0.1:" + settings.rtmpPort();
        Map<String, Integer> ports = new LinkedHashMap<>();
        progress.accept("starting ingest-hook on :" + settings.hookPort());
        ports.put("ingest-hook", settings.hookPort());
        ServiceProcess hook = service("ingest-hook", common, Map.of(
                "QUARKUS_HTTP_PORT", "" + settings.hookPort(),
                "TAPEDECK_HOOK_TRANSCODER_TOKEN", TRANSCODER_TOKEN,
                // A source publish waits for the transcoder's worker too: a fresh JVM takes a few seconds.
                "TAPEDECK_HOOK_ATTACH_ROLES", settings.transcode() ? "recorder,transcoder" : "recorder",
                "TAPEDECK_HOOK_ATTACH_WAIT", settings.transcode() ? ATTACH_WAIT_TRANSCODING : "2s"));
        progress.accept("starting recorder on :" + settings.recorderPort());
        ports.put("recorder", settings.recorderPort());
        ServiceProcess recorder = service("recorder", common, Map.of(
                "QUARKUS_HTTP_PORT", "" + settings.recorderPort(),
                "TAPEDECK_RECORDER_MEDIA_SERVER_URL", rtmp,
                "TAPEDECK_RECORDER_SLICE_LENGTH", settings.sliceLength().toMillis() + "ms",
                "TAPEDECK_RECORDER_SPOOL_DIR", data.resolve("spool").toString()));
        progress.accept("starting packager on :" + settings.packagerPort());
        ports.put("packager", settings.packagerPort());
        ServiceProcess packager = service("packager", common, Map.of(
                "QUARKUS_HTTP_PORT", "" + settings.packagerPort(),
                "TAPEDECK_PACKAGER_WORK_DIR", data.resolve("packager-work").toString()));
        progress.accept("starting vod-api on :" + settings.apiPort());
        ports.put("vod-api", settings.apiPort());
        service("vod-api", common, Map.of("QUARKUS_HTTP_PORT", "" + settings.apiPort()));
        if (settings.transcode()) {
            progress.accept("starting transcoder on :" + settings.transcoderPort() + " (local workers, logs in "
                    + logs.resolve("workers") + ")");
            ports.put("transcoder", settings.transcoderPort());
            service("transcoder", common, Map.of(
                    "QUARKUS_HTTP_PORT", "" + settings.transcoderPort(),
                    "TAPEDECK_TRANSCODER_LAUNCHER", "local",
                    "TAPEDECK_TRANSCODER_MEDIA_SERVER_URL", rtmp,
                    "TAPEDECK_TRANSCODER_TOKEN", TRANSCODER_TOKEN,
                    "TAPEDECK_TRANSCODER_LOCAL_LOG_DIR", logs.resolve("workers").toString()));
        }

        for (ServiceProcess p : running.stream().filter(ServiceProcess.class::isInstance).map(ServiceProcess.class::cast).toList()) {
            p.awaitHttp("http://127.0.0.1:" + ports.get(p.name) + "/q/health/ready", Duration.ofSeconds(90));
            progress.accept(p.name + " is ready");
        }

        progress.accept("starting nginx-rtmp on rtmp://127.0.0.1:" + settings.rtmpPort());
        Path nginxDir = data.resolve("nginx");
        Files.createDirectories(nginxDir);
        Path conf = nginxDir.resolve("nginx.conf");
        Files.writeString(conf, NginxConfig.render(nginxDir, settings.rtmpPort(), settings.hookPort(),
                "root".equals(System.getProperty("user.name")), "live", "live-abr"));
        ServiceProcess nginx = ServiceProcess.start("nginx", List.of(nginxBinary(), "-p", nginxDir.toString(), "-c", conf.toString()),
                Map.of(), logs.resolve("nginx.log"));
        running.add(nginx);
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!Ports.isOpen("127.0.0.1", settings.rtmpPort())) {
            if (!nginx.process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("nginx did not start: " + nginx.tail() + "\n" + readQuietly(nginxDir.resolve("error.log")));
            }
            Thread.sleep(100);
        }
    }

    private ServiceProcess service(String module, Map<String, String> common, Map<String, String> own) throws IOException {
        Map<String, String> env = new HashMap<>(common);
        env.putAll(own);
        ServiceProcess p = ServiceProcess.quarkus(module, settings.home(), module, env, settings.dataDir().resolve("logs"));
        running.add(p);
        return p;
    }

    private void checkPortsFree() {
        Map<String, Integer> ports = new HashMap<>(Map.of("Kafka", settings.kafkaPort(), "S3", settings.s3Port(),
                "RTMP", settings.rtmpPort(), "ingest-hook", settings.hookPort(), "recorder", settings.recorderPort(),
                "packager", settings.packagerPort(), "vod-api", settings.apiPort()));
        if (settings.transcode()) {
            ports.put("transcoder", settings.transcoderPort());
        }
        ports.forEach((what, port) -> {
            if (Ports.isOpen("127.0.0.1", port)) {
                throw new IllegalStateException("port " + port + " (" + what + ") is already in use: is another stack running?");
            }
        });
    }

    static String nginxBinary() {
        for (String candidate : List.of("/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx")) {
            if (Files.isExecutable(Path.of(candidate))) {
                if (!Files.exists(Path.of(NginxConfig.MODULE))) {
                    throw new IllegalStateException(NginxConfig.MODULE + " is missing: apt-get install libnginx-mod-rtmp");
                }
                return candidate;
            }
        }
        throw new IllegalStateException("nginx is not installed: apt-get install nginx libnginx-mod-rtmp");
    }

    private static String readQuietly(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    public Settings settings() {
        return settings;
    }

    public String kafkaBootstrap() {
        return kafka.bootstrapServers();
    }

    public String s3Endpoint() {
        return s3.endpoint();
    }

    /** Where the S3 server keeps the bucket's objects as plain files. */
    public Path bucketDir() {
        return s3.dataDir().resolve(BUCKET);
    }

    public String rtmpUrl(String app, String stream) {
        return "rtmp://127.0.0.1:" + settings.rtmpPort() + "/" + app + "/" + stream;
    }

    public String apiUrl() {
        return "http://127.0.0.1:" + settings.apiPort();
    }

    public String hookUrl() {
        return "http://127.0.0.1:" + settings.hookPort();
    }

    /** Stops nginx first (publishers end, hooks fire), then the services (they finish their work), then Kafka and S3. */
    @Override
    public void close() {
        // SIGTERM every child at once (each finishes its work), then wait for them in reverse start order.
        running.stream().filter(ServiceProcess.class::isInstance).map(ServiceProcess.class::cast)
                .forEach(p -> p.process.destroy());
        for (int i = running.size() - 1; i >= 0; i--) {
            try {
                running.get(i).close();
            } catch (Exception e) {
                System.err.println("stopping " + running.get(i) + ": " + e.getMessage());
            }
        }
        running.clear();
    }
}
