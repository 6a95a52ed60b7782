package dev.tapedeck.stack;

import dev.tapedeck.testkit.EmbeddedKafka;
import dev.tapedeck.testkit.EmbeddedPostgres;
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
 * The whole pipeline on one machine: a real Kafka broker (KRaft) and a real S3 server in this JVM, a PostgreSQL
 * server for the catalog's index, nginx with the RTMP module as the media server, and every service as its own JVM.
 */
public final class Stack implements AutoCloseable {
    /** Bucket of the local stack. */
    public static final String BUCKET = "tapedeck";
    /** The transcoder's credential in the local stack (reserved apps accept only it). */
    public static final String TRANSCODER_TOKEN = "local-transcoder-token";
    /**
     * How long a source publish is held for the recorder (and the worker, when transcoding). With the hook's 2 s
     * callback budget it stays below nginx-rtmp's 10 s hook timeout. The service's default is 2 s; here the whole
     * pipeline shares one machine, where a busy recorder has taken longer than 2 s to attach, and a worker JVM started
     * beside another stack 6.4 to 9.2 s.
     */
    static final String ATTACH_WAIT = "7s";

    /**
     * Where things live and listen.
     *
     * @param home          the repository root (services run from {@code <module>/target/quarkus-app})
     * @param dataDir       survives restarts: Kafka's log, the S3 server's objects, logs, spools
     * @param recorderPorts one HTTP port per recorder replica: the pool has as many replicas
     * @param databasePort  the catalog's PostgreSQL (vod-api's query index), started by the stack
     * @param sliceLength   recorder slice length
     * @param transcode     whether the transcoder runs (rungs, adaptive replays) or only the source is recorded
     * @param hmacSecret    when set, publishers need a signed URL ({@code auth=hmac}, {@code ./tapedeck publish-url})
     * @param endHookPort   0, or the port of a second ingest-hook replica: nginx then sends {@code on_publish_done}
     *                      there while {@code on_publish} and {@code on_play} go to {@code hookPort}, so every session
     *                      is opened by one replica and ended by the other
     * @param playRestart   nginx-rtmp's {@code play_restart}: on (default), players hear when the publisher leaves;
     *                      off, they stay connected and hear nothing, as with SRS
     * @param env           extra settings for every service, e.g. {@code TAPEDECK_RECORDER_IDLE_TIMEOUT}
     */
    public record Settings(Path home, Path dataDir, int kafkaPort, int s3Port, int rtmpPort, int hookPort, List<Integer> recorderPorts,
            int packagerPort, int apiPort, int databasePort, int transcoderPort, Duration sliceLength, boolean transcode, String hmacSecret,
            int endHookPort, boolean playRestart, Map<String, String> env) {

        /**
         * The catalog's PostgreSQL in the local stack: 5433, so that a PostgreSQL the machine runs already (5432) is
         * left alone.
         */
        public static final int DATABASE_PORT = 5433;

        /** Replicas of the recorder pool unless told otherwise: takeover is what a person sees locally too. */
        public static final int DEFAULT_RECORDERS = 2;

        /** The fixed ports people expect: RTMP 1935, API 8080, S3 9000, Kafka 9092; recorders on 8082, 8085, 8086 …; the transcoder runs. */
        public static Settings defaults(Path home, Path dataDir, Duration sliceLength) {
            return new Settings(home, dataDir, 9092, 9000, 1935, 8081, fixedRecorderPorts(DEFAULT_RECORDERS), 8083, 8080,
                    DATABASE_PORT, 8084,
                    sliceLength, true, null, 0, true, Map.of());
        }

        /** Free ports everywhere, for tests; the transcoder runs. */
        public static Settings freePorts(Path home, Path dataDir, Duration sliceLength) {
            return new Settings(home, dataDir, Ports.free(), Ports.free(), Ports.free(), Ports.free(), freeRecorderPorts(DEFAULT_RECORDERS),
                    Ports.free(), Ports.free(), Ports.free(), Ports.free(), sliceLength, true, null, 0, true, Map.of());
        }

        /** The same settings with the transcoder on or off. */
        public Settings transcode(boolean on) {
            return new Settings(home, dataDir, kafkaPort, s3Port, rtmpPort, hookPort, recorderPorts, packagerPort, apiPort, databasePort,
                    transcoderPort, sliceLength, on, hmacSecret, endHookPort, playRestart, env);
        }

        /** The same settings with {@code n} recorder replicas. */
        public Settings recorders(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("the recorder pool needs at least one replica, got " + n);
            }
            boolean fixed = !recorderPorts.isEmpty() && recorderPorts.get(0) == 8082;
            return new Settings(home, dataDir, kafkaPort, s3Port, rtmpPort, hookPort, fixed ? fixedRecorderPorts(n) : freeRecorderPorts(n),
                    packagerPort, apiPort, databasePort, transcoderPort, sliceLength, transcode, hmacSecret, endHookPort, playRestart, env);
        }

        /** The same settings with another slice length. */
        public Settings sliceLength(Duration length) {
            return new Settings(home, dataDir, kafkaPort, s3Port, rtmpPort, hookPort, recorderPorts, packagerPort, apiPort, databasePort,
                    transcoderPort, length, transcode, hmacSecret, endHookPort, playRestart, env);
        }

        /** The same settings with publishers authenticated by signed URLs ({@code auth=hmac}); null for none. */
        public Settings hmacSecret(String secret) {
            return new Settings(home, dataDir, kafkaPort, s3Port, rtmpPort, hookPort, recorderPorts, packagerPort, apiPort, databasePort,
                    transcoderPort, sliceLength, transcode, secret, endHookPort, playRestart, env);
        }

        /** The same settings with a second ingest-hook replica that answers every {@code on_publish_done}. */
        public Settings secondHook() {
            return new Settings(home, dataDir, kafkaPort, s3Port, rtmpPort, hookPort, recorderPorts, packagerPort, apiPort, databasePort,
                    transcoderPort, sliceLength, transcode, hmacSecret, Ports.free(), playRestart, env);
        }

        /** The same settings with nginx-rtmp's {@code play_restart} on or off. */
        public Settings playRestart(boolean on) {
            return new Settings(home, dataDir, kafkaPort, s3Port, rtmpPort, hookPort, recorderPorts, packagerPort, apiPort, databasePort,
                    transcoderPort, sliceLength, transcode, hmacSecret, endHookPort, on, env);
        }

        /** The same settings with one more setting for every service (an environment variable). */
        public Settings env(String name, String value) {
            Map<String, String> more = new HashMap<>(env);
            more.put(name, value);
            return new Settings(home, dataDir, kafkaPort, s3Port, rtmpPort, hookPort, recorderPorts, packagerPort, apiPort, databasePort,
                    transcoderPort, sliceLength, transcode, hmacSecret, endHookPort, playRestart, Map.copyOf(more));
        }

        private static List<Integer> fixedRecorderPorts(int n) {
            List<Integer> ports = new ArrayList<>(List.of(8082));
            for (int i = 1; i < n; i++) {
                ports.add(8084 + i);
            }
            return ports;
        }

        private static List<Integer> freeRecorderPorts(int n) {
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ports.add(Ports.free());
            }
            return ports;
        }
    }

    /**
     * Timings of the local recorder pool: a silent replica loses its streams after 3 s (the broker here allows
     * it; a cluster's default minimum is 6 s), and letting go of a stream waits at most 10 s for its last upload.
     */
    static final String RECORDER_SESSION_TIMEOUT = "3s";
    static final String RECORDER_HANDOVER_TIMEOUT = "10s";

    /**
     * Servers the stack uses instead of starting its own: the {@code containers} test profile's Kafka, MinIO and SRS
     * (Testcontainers). The media server's hooks must reach this stack's ingest-hook ({@link Settings#hookPort}).
     *
     * @param kafkaBootstrap {@code host:port}; the contract's topics are created there
     * @param s3Endpoint     {@code http://host:port}; the bucket is created on first write
     * @param rtmpBase       {@code rtmp://host:port} of the media server; ingest-hook's defaults apply to it (an SRS
     *                       publish is not held for its players: SRS hands them its GOP cache)
     */
    public record External(String kafkaBootstrap, String s3Endpoint, String s3AccessKey, String s3SecretKey, String rtmpBase) {
    }

    private final Settings settings;
    private final External external;
    private final Consumer<String> progress;
    private final List<AutoCloseable> running = new ArrayList<>();
    private final List<ServiceProcess> recorders = new ArrayList<>();
    private final List<ServiceProcess> hooks = new ArrayList<>();
    private ServiceProcess packager;
    private EmbeddedKafka kafka;
    private volatile EmbeddedS3 s3;
    private EmbeddedPostgres database;

    private Stack(Settings settings, External external, Consumer<String> progress) {
        this.settings = settings;
        this.external = external;
        this.progress = progress;
    }

    /** Starts everything and waits until every service is ready; {@code progress} hears each step. */
    public static Stack start(Settings settings, Consumer<String> progress) throws Exception {
        return start(settings, null, progress);
    }

    /**
     * Starts the services on {@code external} servers (null: the embedded Kafka and S3 server and nginx-rtmp) and waits
     * until every one is ready.
     */
    public static Stack start(Settings settings, External external, Consumer<String> progress) throws Exception {
        Stack stack = new Stack(settings, external, progress);
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

        Map<String, String> common = new HashMap<>();
        // The catalog's PostgreSQL starts beside the broker and the S3 server: none of them needs another.
        progress.accept("starting PostgreSQL on 127.0.0.1:" + settings.databasePort() + " (the catalog's index, data under "
                + data.resolve("postgres") + ")");
        java.util.concurrent.CompletableFuture<EmbeddedPostgres> postgres = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return EmbeddedPostgres.start(data.resolve("postgres"), settings.databasePort(), true);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        Exception failed = null;
        try {
            startServers(data, common, progress);
        } catch (Exception e) {
            failed = e;
        }
        try {
            database = postgres.join();
            running.add(database); // stopped with the rest, also when the broker or the S3 server did not start
        } catch (java.util.concurrent.CompletionException e) {
            Exception cause = e.getCause() instanceof Exception c ? c : e;
            if (failed == null) {
                failed = cause;
            } else {
                failed.addSuppressed(cause);
            }
        }
        if (failed != null) {
            throw failed;
        }
        TapedeckTopics.create(kafkaBootstrap(), 3);
        finishStart(data, logs, common, progress);
    }

    /** The embedded broker and S3 server, unless the services run on external ones. */
    private void startServers(Path data, Map<String, String> common, Consumer<String> progress) throws Exception {
        if (external == null) {
            progress.accept("starting Kafka (KRaft) on 127.0.0.1:" + settings.kafkaPort());
            kafka = EmbeddedKafka.start(data.resolve("kafka"), settings.kafkaPort());
            running.add(kafka);
            progress.accept("starting the S3 server on " + "http://127.0.0.1:" + settings.s3Port() + " (objects under " + data.resolve("s3") + ")");
            s3 = EmbeddedS3.start(data.resolve("s3"), settings.s3Port());
            running.add(s3);
            common.put("TAPEDECK_STORAGE_ACCESS_KEY", EmbeddedS3.ACCESS_KEY);
            common.put("TAPEDECK_STORAGE_SECRET_KEY", EmbeddedS3.SECRET_KEY);
        } else {
            progress.accept("using Kafka at " + external.kafkaBootstrap() + ", S3 at " + external.s3Endpoint()
                    + ", the media server at " + external.rtmpBase());
            common.put("TAPEDECK_STORAGE_ACCESS_KEY", external.s3AccessKey());
            common.put("TAPEDECK_STORAGE_SECRET_KEY", external.s3SecretKey());
        }
    }

    private void finishStart(Path data, Path logs, Map<String, String> common, Consumer<String> progress) throws Exception {
        common.put("KAFKA_BOOTSTRAP_SERVERS", kafkaBootstrap());
        common.put("TAPEDECK_STORAGE_ENDPOINT", s3Endpoint());
        common.put("TAPEDECK_STORAGE_BUCKET", BUCKET);
        // Both services see both lengths and refuse to start when slices and segments do not share one grid.
        common.put("TAPEDECK_RECORDER_SLICE_LENGTH", settings.sliceLength().toMillis() + "ms");
        common.put("TAPEDECK_PACKAGER_SEGMENT_DURATION", segmentFor(settings.sliceLength()).toMillis() + "ms");
        common.putAll(settings.env());

        String rtmp = external == null ? "rtmp://127.0.0.1:" + settings.rtmpPort() : external.rtmpBase();
        Map<String, Integer> ports = new LinkedHashMap<>();
        progress.accept("starting ingest-hook on :" + settings.hookPort());
        ports.put("ingest-hook", settings.hookPort());
        Map<String, String> auth = settings.hmacSecret() == null ? Map.of()
                : Map.of("TAPEDECK_HOOK_AUTH", "hmac", "TAPEDECK_HOOK_HMAC_SECRET", settings.hmacSecret(),
                        "TAPEDECK_HOOK_PUBLISH_BASE_URL", rtmp);
        Map<String, String> hookCommon = new HashMap<>(common);
        hookCommon.putAll(auth);
        List<Integer> hookPorts = settings.endHookPort() == 0 ? List.of(settings.hookPort())
                : List.of(settings.hookPort(), settings.endHookPort());
        for (int i = 0; i < hookPorts.size(); i++) {
            String name = i == 0 ? "ingest-hook" : "ingest-hook-" + (i + 1);
            if (i > 0) {
                progress.accept("starting " + name + " on :" + hookPorts.get(i) + " (answers nginx's on_publish_done)");
                ports.put(name, hookPorts.get(i));
            }
            Map<String, String> env = new HashMap<>(hookCommon);
            env.putAll(Map.of(
                    "QUARKUS_HTTP_PORT", "" + hookPorts.get(i),
                    "TAPEDECK_HOOK_TRANSCODER_TOKEN", TRANSCODER_TOKEN,
                    // Events the broker could not take wait here for it, across restarts.
                    "TAPEDECK_HOOK_OUTBOX_DIR", data.resolve("outbox").resolve(name).toString(),
                    // A source publish waits for the transcoder's worker too: a fresh JVM takes a few seconds.
                    "TAPEDECK_HOOK_ATTACH_ROLES", settings.transcode() ? "recorder,transcoder" : "recorder",
                    "TAPEDECK_HOOK_ATTACH_WAIT", ATTACH_WAIT));
            // What the settings give every service wins here too.
            env.putAll(settings.env());
            ServiceProcess hook = ServiceProcess.quarkus(name, settings.home(), "ingest-hook", env, logs);
            running.add(hook);
            hooks.add(hook);
        }
        for (int i = 0; i < settings.recorderPorts().size(); i++) {
            String name = "recorder-" + (i + 1);
            int port = settings.recorderPorts().get(i);
            progress.accept("starting " + name + " on :" + port + " (recorder pool of " + settings.recorderPorts().size() + ")");
            ports.put(name, port);
            Map<String, String> env = new HashMap<>(common);
            env.putAll(Map.of(
                    "QUARKUS_HTTP_PORT", "" + port,
                    "TAPEDECK_RECORDER_MEDIA_SERVER_URL", rtmp,
                    "TAPEDECK_RECORDER_SLICE_LENGTH", settings.sliceLength().toMillis() + "ms",
                    // Each replica its own spool, kept across its restarts (a volume per pod in a cluster).
                    "TAPEDECK_RECORDER_SPOOL_DIR", data.resolve("spool").resolve(name).toString(),
                    "TAPEDECK_RECORDER_SESSION_TIMEOUT", RECORDER_SESSION_TIMEOUT,
                    "TAPEDECK_RECORDER_HANDOVER_TIMEOUT", RECORDER_HANDOVER_TIMEOUT));
            ServiceProcess recorder = ServiceProcess.quarkus(name, settings.home(), "recorder", env, logs);
            running.add(recorder);
            recorders.add(recorder);
        }
        progress.accept("starting packager on :" + settings.packagerPort());
        ports.put("packager", settings.packagerPort());
        packager = service("packager", common, Map.of(
                "QUARKUS_HTTP_PORT", "" + settings.packagerPort(),
                "TAPEDECK_PACKAGER_WORK_DIR", data.resolve("packager-work").toString()));
        progress.accept("starting vod-api on :" + settings.apiPort());
        ports.put("vod-api", settings.apiPort());
        service("vod-api", common, Map.of("QUARKUS_HTTP_PORT", "" + settings.apiPort(),
                "QUARKUS_DATASOURCE_JDBC_URL", database.jdbcUrl(),
                "QUARKUS_DATASOURCE_USERNAME", EmbeddedPostgres.USER));
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
            // From now on it is restarted when it exits unasked, as Kubernetes would.
            p.supervise(progress);
        }
        if (external != null) {
            return; // the media server runs already
        }

        progress.accept("starting nginx-rtmp on rtmp://127.0.0.1:" + settings.rtmpPort());
        Path nginxDir = data.resolve("nginx");
        Files.createDirectories(nginxDir);
        Path conf = nginxDir.resolve("nginx.conf");
        Files.writeString(conf, NginxConfig.render(nginxDir, settings.rtmpPort(), settings.hookPort(),
                settings.endHookPort() == 0 ? settings.hookPort() : settings.endHookPort(), settings.playRestart(),
                "root".equals(System.getProperty("user.name")), "live", "live-abr"));
        ServiceProcess nginx = ServiceProcess.start("nginx", List.of(nginxBinary(), "-p", nginxDir.toString(), "-c", conf.toString()),
                Map.of(), logs.resolve("nginx.log"));
        running.add(nginx);
        nginx.supervise(progress);
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!Ports.isOpen("127.0.0.1", settings.rtmpPort())) {
            if (!nginx.process().isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("nginx did not start: " + nginx.tail() + "\n" + readQuietly(nginxDir.resolve("error.log")));
            }
            Thread.sleep(100);
        }
    }

    /** The longest segment duration up to 6 s that divides the slice length (6 s for 180 s slices, 5 s for 10 s, 4 s for 4 s). */
    static Duration segmentFor(Duration sliceLength) {
        long slice = sliceLength.toMillis();
        for (long s = 6_000; s > 1_000; s -= 1_000) {
            if (slice % s == 0) {
                return Duration.ofMillis(s);
            }
        }
        return sliceLength.toMillis() <= 6_000 ? sliceLength : Duration.ofSeconds(1);
    }

    private ServiceProcess service(String module, Map<String, String> common, Map<String, String> own) throws IOException {
        Map<String, String> env = new HashMap<>(common);
        env.putAll(own);
        ServiceProcess p = ServiceProcess.quarkus(module, settings.home(), module, env, settings.dataDir().resolve("logs"));
        running.add(p);
        return p;
    }

    private void checkPortsFree() {
        Map<String, Integer> ports = new HashMap<>(Map.of("ingest-hook", settings.hookPort(),
                "packager", settings.packagerPort(), "vod-api", settings.apiPort(), "PostgreSQL", settings.databasePort()));
        if (external == null) {
            ports.putAll(Map.of("Kafka", settings.kafkaPort(), "S3", settings.s3Port(), "RTMP", settings.rtmpPort()));
        }
        for (int i = 0; i < settings.recorderPorts().size(); i++) {
            ports.put("recorder-" + (i + 1), settings.recorderPorts().get(i));
        }
        if (settings.endHookPort() != 0) {
            ports.put("ingest-hook-2", settings.endHookPort());
        }
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
        return external != null ? external.kafkaBootstrap() : kafka.bootstrapServers();
    }

    public String s3Endpoint() {
        return external != null ? external.s3Endpoint() : s3.endpoint();
    }

    /** Where the S3 server keeps the bucket's objects as plain files. */
    public Path bucketDir() {
        embeddedOnly("the bucket's directory");
        return s3.dataDir().resolve(BUCKET);
    }

    public String rtmpUrl(String app, String stream) {
        return (external != null ? external.rtmpBase() : "rtmp://127.0.0.1:" + settings.rtmpPort()) + "/" + app + "/" + stream;
    }

    private void embeddedOnly(String what) {
        if (external != null) {
            throw new IllegalStateException(what + " is there only with the embedded servers; this stack uses " + external);
        }
    }

    public String apiUrl() {
        return "http://127.0.0.1:" + settings.apiPort();
    }

    /** The catalog's PostgreSQL. */
    public EmbeddedPostgres database() {
        return database;
    }

    public String hookUrl() {
        return "http://127.0.0.1:" + settings.hookPort();
    }

    /** The media server (nginx-rtmp). */
    ServiceProcess nginx() {
        return running.stream().filter(ServiceProcess.class::isInstance).map(ServiceProcess.class::cast)
                .filter(p -> p.name.equals("nginx")).findFirst().orElseThrow();
    }

    /** The ingest-hook replicas: the one nginx sends publishes to first, then the one ending them (if any). */
    List<ServiceProcess> hooks() {
        return List.copyOf(hooks);
    }

    /** The recorder replicas, {@code recorder-1} first. */
    List<ServiceProcess> recorders() {
        return List.copyOf(recorders);
    }

    ServiceProcess packager() {
        return packager;
    }

    /** The transcoder, whose workers are its child processes; none when the stack does not transcode. */
    java.util.Optional<ServiceProcess> transcoder() {
        return running.stream().filter(ServiceProcess.class::isInstance).map(ServiceProcess.class::cast)
                .filter(p -> p.name.equals("transcoder")).findFirst();
    }

    /** {@code http://127.0.0.1:port} of recorder replica {@code i} (0-based). */
    public String recorderUrl(int i) {
        return "http://127.0.0.1:" + settings.recorderPorts().get(i);
    }

    /** Makes the S3 server unreachable, as an outage would (the objects stay). */
    public void stopS3() throws Exception {
        embeddedOnly("stopping the S3 server");
        progress.accept("stopping the S3 server (outage)");
        s3.stop();
    }

    /** Brings the S3 server back on the same port and directory. */
    public void startS3() throws Exception {
        embeddedOnly("starting the S3 server");
        progress.accept("starting the S3 server again");
        s3.restart();
    }

    /** Stops nginx first (publishers end, hooks fire), then the services (they finish their work), then PostgreSQL, Kafka and S3. */
    /**
     * Stops everything at once, for a test that is done with the stack: the services are killed (SIGKILL) instead of
     * finishing their work, which takes a service seconds (vod-api about 5 s, its Kafka consumers leaving their groups)
     * and which nothing after the test reads. A service JVM that records its class-data archive stops as in
     * {@link #close}, so that the archive is written.
     */
    public void discard() {
        running.stream().filter(ServiceProcess.class::isInstance).map(ServiceProcess.class::cast).forEach(ServiceProcess::discard);
        close();
    }

    /** How long {@link #close} lets the services finish their work (a JVM recording its class-data archive included). */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(20);

    @Override
    public void close() {
        stopWithin(CLOSE_GRACE);
    }

    /**
     * Stops everything: SIGTERM to every child at once (each finishes its work), then waits for them in reverse start
     * order, all of them within {@code grace}; a service still running then is killed (SIGKILL). What it left undone is
     * redone from Kafka's offsets and the recorders' spools at the next start.
     */
    public void stopWithin(Duration grace) {
        long deadline = System.nanoTime() + grace.toNanos();
        running.stream().filter(ServiceProcess.class::isInstance).map(ServiceProcess.class::cast).forEach(p -> {
            p.stopping();
            p.process().destroy();
        });
        for (int i = running.size() - 1; i >= 0; i--) {
            try {
                if (running.get(i) instanceof ServiceProcess p) {
                    p.stop(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                } else {
                    running.get(i).close();
                }
            } catch (Exception e) {
                System.err.println("stopping " + running.get(i) + ": " + e.getMessage());
            }
        }
        running.clear();
    }
}
