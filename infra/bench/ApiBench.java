import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.kafka.CloudEventSerializer;
import dev.tapedeck.testkit.EmbeddedKafka;
import dev.tapedeck.testkit.EmbeddedPostgres;
import dev.tapedeck.testkit.EmbeddedS3;
import dev.tapedeck.testkit.TapedeckTopics;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The API benchmark's helper: a real Kafka broker (KRaft), the S3 server and a PostgreSQL server (the machine's own
 * binaries, as the local stack runs them). Prints {@code <bootstrap> <s3 endpoint> <jdbc url>}, then answers commands:
 * <ul>
 * <li>{@code write N} — N catalog entries on {@code tapedeck.vods} (1,000 streams in 10 apps, a year of start times,
 * every status), the way the packager writes them; answers {@code written <ms>} once the broker acknowledged all;</li>
 * <li>{@code load <base url> <kind> <rate> <seconds>} — an open loop: one request every 1/rate s whatever the answers
 * do, each one's latency counted from the time it was meant to be sent, so a stall is never hidden. Kinds: {@code list}
 * (the first page, deep cursors, {@code stream=} filters, time ranges, a quarter each) and {@code health}. Answers
 * {@code p50=… p99=… max=… sent=… done=… errors=… rate=…} (ms; rate: answers per second within the window).</li>
 * </ul>
 */
public class ApiBench {
    static final Instant YEAR_AGO = Instant.parse("2025-12-01T00:00:00Z");
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        EmbeddedKafka kafka = EmbeddedKafka.start(work.resolve("kafka"), 0);
        TapedeckTopics.create(kafka.bootstrapServers(), 3);
        EmbeddedS3 s3 = EmbeddedS3.start(work.resolve("s3"), 0);
        EmbeddedPostgres pg = EmbeddedPostgres.start(work.resolve("postgres"), 0, true);
        System.out.println(kafka.bootstrapServers() + " " + s3.endpoint() + " " + pg.jdbcUrl());
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        List<String> cursors = new ArrayList<>();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] w = line.trim().split("\\s+");
            try {
                switch (w[0]) {
                    case "write" -> System.out.println("written " + write(kafka.bootstrapServers(), Integer.parseInt(w[1])));
                    case "load" -> System.out.println(load(w[1], w[2], Integer.parseInt(w[3]), Integer.parseInt(w[4]), cursors));
                    default -> System.out.println("ERROR unknown command " + w[0]);
                }
            } catch (Exception e) {
                e.printStackTrace();
                System.out.println("ERROR " + e);
            }
            System.out.flush();
        }
        pg.close();
        s3.close();
        kafka.close();
    }

    static String app(int stream) {
        return "app" + (stream % 10);
    }

    static long write(String bootstrap, int n) throws Exception {
        long began = System.nanoTime();
        CatalogEntry.Status[] statuses = {CatalogEntry.Status.READY, CatalogEntry.Status.READY, CatalogEntry.Status.READY,
            CatalogEntry.Status.DEGRADED, CatalogEntry.Status.FAILED, CatalogEntry.Status.LIVE};
        long span = Duration.ofDays(365).toMillis();
        Random r = new Random(7);
        try (KafkaProducer<String, CloudEvent<?>> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "acks", "all",
                "linger.ms", "20", "batch.size", "262144"), new StringSerializer(), new CloudEventSerializer())) {
            AtomicLong failed = new AtomicLong();
            for (int i = 0; i < n; i++) {
                Instant at = YEAR_AGO.plusMillis((long) i * span / n);
                String id = Ids.uuid7(Clock.fixed(at, ZoneOffset.UTC));
                int stream = r.nextInt(1000);
                String app = app(stream);
                CatalogEntry.Status status = statuses[r.nextInt(statuses.length)];
                CatalogEntry e = new CatalogEntry(id, "__defaultVhost__/" + app + "/s" + stream, app, "s" + stream, status, at,
                        status == CatalogEntry.Status.LIVE ? null : at.plusSeconds(3600), 3_600_000, "vod/" + id + "/master.m3u8",
                        List.of(new CatalogEntry.Rendition("source", "vod/" + id + "/source/index.m3u8", 1280, 720, 30, 2_480_000,
                                2_010_000, "avc1.64001f,mp4a.40.2", 600, 3_600_000),
                                new CatalogEntry.Rendition("480p", "vod/" + id + "/480p/index.m3u8", 854, 480, 30, 1_300_000, 1_100_000,
                                        "avc1.4d401e,mp4a.40.2", 600, 3_600_000)),
                        status == CatalogEntry.Status.DEGRADED ? "slice 3 of source missing" : null, at.plusSeconds(3601),
                        "vod/" + id + "/manifest.json", "vod/" + id + "/poster.jpg", "vod/" + id + "/thumbnails.vtt", 1_500_000_000L,
                        status == CatalogEntry.Status.DEGRADED ? 1 : 0, 0, 0);
                producer.send(new ProducerRecord<>(Topics.VODS, id, CloudEvent.of("/tapedeck/packager", e, Clock.systemUTC())),
                        (m, ex) -> {
                            if (ex != null) {
                                failed.incrementAndGet();
                            }
                        });
            }
            producer.flush();
            if (failed.get() > 0) {
                throw new IllegalStateException(failed.get() + " entries were not acknowledged");
            }
        }
        return (System.nanoTime() - began) / 1_000_000;
    }

    /** Cursors deep in the newest-first listing (after 1,000, 10,000, 100,000 and 400,000 recordings), read once. */
    static void collectCursors(String base, List<String> cursors) throws Exception {
        if (!cursors.isEmpty()) {
            return;
        }
        String cursor = null;
        for (int page = 1; page <= 4000; page++) {
            String body = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/recordings?limit=100"
                    + (cursor == null ? "" : "&cursor=" + cursor))).build(), HttpResponse.BodyHandlers.ofString()).body();
            int at = body.lastIndexOf("\"nextCursor\":\"");
            if (at < 0) {
                break;
            }
            cursor = body.substring(at + 14, body.indexOf('"', at + 14));
            if (page == 10 || page == 100 || page == 1000 || page == 4000) {
                cursors.add(cursor);
            }
        }
    }

    static String listUri(String base, Random r, List<String> cursors) {
        return switch (r.nextInt(4)) {
            case 0 -> base + "/api/v1/recordings";
            case 1 -> base + "/api/v1/recordings?cursor=" + cursors.get(r.nextInt(cursors.size()));
            case 2 -> {
                int stream = r.nextInt(1000);
                yield base + "/api/v1/recordings?stream=" + app(stream) + "/s" + stream;
            }
            default -> {
                Instant from = YEAR_AGO.plus(Duration.ofHours(r.nextInt(365 * 24)));
                yield base + "/api/v1/recordings?startedAfter=" + from + "&startedBefore=" + from.plus(Duration.ofDays(1));
            }
        };
    }

    static String load(String base, String kind, int rate, int seconds, List<String> cursors) throws Exception {
        if (kind.equals("list")) {
            collectCursors(base, cursors);
        }
        Random r = new Random(11);
        int total = rate * seconds;
        long interval = 1_000_000_000L / rate;
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicLong errors = new AtomicLong();
        List<CompletableFuture<?>> inFlight = new ArrayList<>();
        long start = System.nanoTime() + 50_000_000L;
        long windowEnd = start + (long) seconds * 1_000_000_000L;
        AtomicLong doneInWindow = new AtomicLong();
        for (int i = 0; i < total; i++) {
            long intended = start + i * interval;
            long wait = intended - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            URI uri = URI.create(kind.equals("health") ? base + "/q/health/live" : listUri(base, r, cursors));
            inFlight.add(HTTP.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.discarding()).whenComplete((res, ex) -> {
                        long now = System.nanoTime();
                        if (ex != null || res.statusCode() != 200) {
                            errors.incrementAndGet();
                        }
                        latencies.add(now - intended);
                        if (now <= windowEnd + 1_000_000_000L) {
                            doneInWindow.incrementAndGet();
                        }
                    }));
        }
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        return String.format(Locale.ROOT, "p50=%.2f p99=%.2f max=%.2f sent=%d done=%d errors=%d rate=%.1f", ms(sorted, 0.50), ms(sorted, 0.99),
                sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6, total, sorted.length, errors.get(),
                doneInWindow.get() / (double) seconds);
    }

    static double ms(long[] sorted, double q) {
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
    }
}
