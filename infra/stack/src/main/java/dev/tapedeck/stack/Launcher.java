package dev.tapedeck.stack;

import dev.tapedeck.contract.PublishTokens;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.testkit.EmbeddedPostgres;
import dev.tapedeck.testkit.TopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * {@code up}: start the local stack and serve until Ctrl-C. {@code demo}: also publish a generated test
 * stream, wait until its replay is READY, print its URL, and keep serving.
 */
public final class Launcher {
    /** How long the services have, together, to finish their work after Ctrl-C or SIGTERM. */
    static final Duration STOP_GRACE = Duration.ofSeconds(6);

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "up";
        if (mode.equals("publish-url")) {
            System.exit(publishUrl(args));
        }
        double seconds = doubleArg(args, "--seconds", 60);
        Path home = Path.of(System.getProperty("tapedeck.home", ".")).toAbsolutePath().normalize();
        Path data = Path.of(System.getProperty("tapedeck.data", home.resolve(".data").toString())).toAbsolutePath();
        Duration slice = Duration.ofSeconds((long) doubleArg(args, "--slice-seconds", "demo".equals(mode) ? 10 : 180));
        int recorders = (int) doubleArg(args, "--recorders", Stack.Settings.DEFAULT_RECORDERS);
        boolean freePorts = java.util.Arrays.asList(args).contains("--free-ports");
        if (!mode.equals("up") && !mode.equals("demo") || recorders < 1) {
            System.err.println("usage: tapedeck [up|demo] [--seconds N] [--slice-seconds N] [--recorders N] [--free-ports]");
            System.exit(2);
        }

        Stack.Settings settings = freePorts ? Stack.Settings.freePorts(home, data, slice) : Stack.Settings.defaults(home, data, slice);
        Stack stack = Stack.start(settings.recorders(recorders), m -> System.out.println("  · " + m));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("\nstopping Tapedeck …");
            // Ctrl-C stops everything within 10 s: the services get 6 s together, then the servers stop.
            stack.stopWithin(STOP_GRACE);
            stopped.countDown();
        }, "tapedeck-stop"));

        System.out.println();
        System.out.println("Tapedeck is running (data in " + data + ", logs in " + data.resolve("logs") + ")");
        System.out.println("  publish (OBS/ffmpeg): " + stack.rtmpUrl("live", "<stream-name>"));
        System.out.println("  player:               " + stack.apiUrl() + "/");
        System.out.println("  API:                  " + stack.apiUrl() + "/api/v1/recordings");
        System.out.println("  S3 endpoint:          " + stack.s3Endpoint() + " (bucket " + Stack.BUCKET + ")");
        System.out.println("  Kafka:                " + stack.kafkaBootstrap());
        System.out.println("  PostgreSQL:           " + stack.database().jdbcUrl() + " (user " + EmbeddedPostgres.USER + ")");
        System.out.println("  recorders:            " + String.join(", ", java.util.stream.IntStream.range(0, recorders)
                .mapToObj(i -> stack.recorderUrl(i) + "/v1/recordings").toList()));
        System.out.println("Slices are " + slice.toSeconds() + " s long. A service that exits is restarted. Ctrl-C stops everything.");

        if (mode.equals("demo")) {
            int code = demo(stack, seconds, data);
            if (code != 0) {
                System.exit(code);
            }
            System.out.println("The stack keeps serving; open the player above. Ctrl-C stops it.");
        }
        stopped.await();
    }

    static int demo(Stack stack, double seconds, Path data) throws Exception {
        String stream = "demo";
        System.out.printf(Locale.ROOT, "%npublishing %.0f s of a 1280x720 30 fps test pattern to %s%n", seconds, stack.rtmpUrl("live", stream));
        Instant began = Instant.now();
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader slices = new TopicReader(stack.kafkaBootstrap(), Topics.SLICES);
                TopicReader vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS);
                Publisher publisher = Publisher.start(stack.rtmpUrl("live", stream), 1280, 720, 30, seconds,
                        data.resolve("logs").resolve("demo-publisher.log"))) {
            streams.readToEnd();
            slices.readToEnd();
            vods.readToEnd();
            StreamPublished published = (StreamPublished) streams.await(r -> r.value() != null
                    && r.value().data() instanceof StreamPublished p && p.stream().equals(stream)
                    && !p.publishedAt().isBefore(began.minusSeconds(1)), Duration.ofSeconds(30)).value().data();
            String id = published.recordingId();
            System.out.println("recording " + id);
            long deadline = System.nanoTime() + Duration.ofSeconds((long) seconds + 120).toNanos();
            CatalogEntry ready = null;
            long lastPrint = 0;
            while (ready == null && System.nanoTime() < deadline) {
                try {
                    vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                            && c.status() != CatalogEntry.Status.LIVE, Duration.ofMillis(500));
                } catch (AssertionError notYet) {
                    // keep waiting
                }
                ready = vods.seen().stream().filter(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                        && c.recordingId().equals(id) && c.status() != CatalogEntry.Status.LIVE)
                        .map(r -> (CatalogEntry) r.value().data()).findFirst().orElse(null);
                if (System.nanoTime() - lastPrint > 5_000_000_000L) {
                    lastPrint = System.nanoTime();
                    try {
                        slices.await(r -> false, Duration.ofMillis(1));
                    } catch (AssertionError ignored) {
                        // only polling
                    }
                    long stored = slices.seen().stream().filter(r -> r.value() != null
                            && r.value().data() instanceof SliceStored s && s.recordingId().equals(id)).count();
                    System.out.printf(Locale.ROOT, "  %3d s: publisher %s, %d slices stored%n",
                            Duration.between(began, Instant.now()).toSeconds(), publisher.alive() ? "live" : "done", stored);
                }
                if (!publisher.alive() && publisher.await() != 0) {
                    System.err.println("the demo publisher failed:\n" + publisher.output());
                    return 1;
                }
            }
            if (ready == null || ready.status() != CatalogEntry.Status.READY) {
                System.err.println("the replay did not become READY in time" + (ready == null ? "" : ": " + ready.status() + " " + ready.message()));
                return 1;
            }
            System.out.printf(Locale.ROOT, "%nreplay READY: %.1f s, renditions %s%n", ready.durationMillis() / 1000.0,
                    ready.renditions().stream().map(CatalogEntry.Rendition::name).toList());
            System.out.println("  replay URL: " + stack.apiUrl() + "/vod/" + id + "/master.m3u8");
            System.out.println("  player:     " + stack.apiUrl() + "/");
            System.out.println("  objects:    " + stack.bucketDir().resolve("recordings") + " and " + stack.bucketDir().resolve("vod"));
            return 0;
        }
    }

    /**
     * {@code publish-url live/studio1 [--ttl 2h] [--base rtmp://host:1935]}: prints a signed publish URL for an
     * ingest-hook running with {@code auth=hmac}; the secret comes from {@code TAPEDECK_HOOK_HMAC_SECRET}.
     */
    static int publishUrl(String[] args) {
        if (args.length < 2 || args[1].startsWith("--")) {
            System.err.println("usage: tapedeck publish-url app/stream [--ttl 2h] [--base rtmp://127.0.0.1:1935]"
                    + " (secret from TAPEDECK_HOOK_HMAC_SECRET)");
            return 2;
        }
        try {
            PublishTokens.SignedUrl url = PublishTokens.url(stringArg(args, "--base", "rtmp://127.0.0.1:1935"), args[1],
                    System.getenv("TAPEDECK_HOOK_HMAC_SECRET"), PublishTokens.ttl(stringArg(args, "--ttl", "1h")), Instant.now());
            System.out.println(url.url());
            System.err.println("valid until " + url.expires());
            return 0;
        } catch (IllegalArgumentException e) {
            System.err.println("tapedeck publish-url: " + e.getMessage());
            return 2;
        }
    }

    private static String stringArg(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    private static double doubleArg(String[] args, String name, double fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return Double.parseDouble(args[i + 1]);
            }
        }
        return fallback;
    }
}
