import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.TapedeckEvent;
import dev.tapedeck.contract.kafka.CloudEventSerializer;
import dev.tapedeck.testkit.EmbeddedKafka;
import dev.tapedeck.testkit.EmbeddedS3;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TapedeckTopics;
import dev.tapedeck.testkit.TopicReader;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The packager benchmark's side of the pipeline: a real Kafka broker (KRaft) with Tapedeck's topics and the S3 server
 * of the local stack. It plays the recorder's part: stores slices (as the S3 server's files) and announces them with
 * SliceStored and RecordingClosed, then times the catalog entries the packager writes. Prints
 * {@code <bootstrap> <s3 endpoint>}, then answers commands on standard input, one per line:
 * <ul>
 * <li>{@code slices <dir>}: the slices under {@code <dir>/<rendition>/<seq>.flv}, probed with ffprobe</li>
 * <li>{@code throughput}: stores them under a new recording, announces them all with a close per rendition, and
 * prints {@code THROUGHPUT ms=} from the first announcement to READY</li>
 * <li>{@code slicecost <n> <runs>}: for each run, a new recording whose source rendition already has {@code n} slices
 * packaged (a prepared manifest); slice n is announced and packaged (its state is loaded), then slice n + 1 is
 * timed to its LIVE entry. Prints {@code SLICECOST median_ms=}</li>
 * <li>{@code ready <n> <runs>}: for each run, a recording with {@code n - 1} slices packaged (prepared) and slice
 * n - 2 announced; then the last slice and the close are announced and timed to READY. Prints
 * {@code READY p95_ms= median_ms=}</li>
 * </ul>
 */
public class PackageBench {
    private static final Clock CLOCK = Clock.systemUTC();
    private static final StreamKey KEY = new StreamKey("__defaultVhost__", "bench", "pkg");
    private static final ObjectMapper JSON = new ObjectMapper();

    record Slice(String rendition, long seq, Path file, long firstDtsMillis, long durationMillis, int keyframes, String sha256) {
    }

    private static Path bucket;
    private static KafkaProducer<String, CloudEvent<?>> producer;
    private static TopicReader vods;
    private static final TreeMap<String, List<Slice>> SLICES = new TreeMap<>();

    public static void main(String[] args) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(Path.of(args[0]).resolve("kafka"), 0);
        TapedeckTopics.create(kafka.bootstrapServers(), 3);
        EmbeddedS3 s3 = EmbeddedS3.start(Path.of(args[0]).resolve("s3"), 0);
        bucket = s3.dataDir().resolve("tapedeck");
        Files.createDirectories(bucket);
        System.out.println(kafka.bootstrapServers() + " " + s3.endpoint());
        System.out.flush();
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        producer = new KafkaProducer<>(p, new StringSerializer(), new CloudEventSerializer());
        vods = new TopicReader(kafka.bootstrapServers(), Topics.VODS);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] w = line.trim().split("\\s+");
                try {
                    System.out.println(switch (w[0]) {
                        case "slices" -> probe(Path.of(w[1]));
                        case "throughput" -> throughput();
                        case "slicecost" -> sliceCost(Integer.parseInt(w[1]), Integer.parseInt(w[2]));
                        case "ready" -> ready(Integer.parseInt(w[1]), Integer.parseInt(w[2]));
                        default -> "ERROR unknown command " + w[0];
                    });
                } catch (Exception | AssertionError e) {
                    System.out.println("ERROR " + e);
                }
                System.out.flush();
            }
        }
        producer.close();
        vods.close();
        s3.close();
        kafka.close();
    }

    static String probe(Path dir) throws Exception {
        try (Stream<Path> renditions = Files.list(dir)) {
            for (Path r : renditions.filter(Files::isDirectory).sorted().toList()) {
                List<Slice> slices = new ArrayList<>();
                try (Stream<Path> files = Files.list(r)) {
                    for (Path f : files.filter(x -> x.toString().endsWith(".flv")).sorted().toList()) {
                        List<String> packets = MediaTools.probe(f.toString(), "-select_streams", "v", "-show_entries", "packet=dts_time,flags");
                        double first = Double.parseDouble(packets.get(0).split(",")[0]);
                        double end = MediaTools.probe(f.toString(), "-show_entries", "format=start_time,duration").stream()
                                .map(l -> l.split(",")).mapToDouble(a -> Double.parseDouble(a[0]) + Double.parseDouble(a[1])).max().orElseThrow();
                        int keyframes = (int) packets.stream().filter(l -> l.contains("K")).count();
                        long seq = Long.parseLong(f.getFileName().toString().replace(".flv", ""));
                        slices.add(new Slice(r.getFileName().toString(), seq, f, Math.round(first * 1000), Math.round((end - first) * 1000),
                                keyframes, sha256(f)));
                    }
                }
                SLICES.put(r.getFileName().toString(), slices);
            }
        }
        return "OK " + SLICES.values().stream().mapToInt(List::size).sum();
    }

    /** Stores a slice under {@code recordingId} (the S3 server keeps objects as plain files) and returns its announcement. */
    static SliceStored store(String recordingId, Slice s, long seq, long firstDtsMillis) throws Exception {
        String key = StorageKeys.slice(KEY, recordingId, s.rendition(), seq);
        Path target = bucket.resolve(key);
        Files.createDirectories(target.getParent());
        String sha = s.sha256();
        if (firstDtsMillis == s.firstDtsMillis()) {
            Files.copy(s.file(), target);
        } else {
            // The same media later in stream time, as slice `seq` of a long recording would be.
            MediaTools.Result r = MediaTools.run(60, "ffmpeg", "-hide_banner", "-v", "error", "-i", s.file().toString(), "-c", "copy",
                    "-output_ts_offset", String.valueOf((firstDtsMillis - s.firstDtsMillis()) / 1000.0), "-f", "flv", "-y", target.toString());
            if (r.exit() != 0) {
                throw new IllegalStateException("ffmpeg: " + r.stderr());
            }
            sha = sha256(target);
        }
        return new SliceStored(recordingId, recordingId, KEY.toString(), s.rendition(), seq, key, firstDtsMillis,
                firstDtsMillis + s.durationMillis() - 33, s.durationMillis(), Files.size(target), sha, s.keyframes(), false, 0,
                CLOCK.instant());
    }

    static void send(String key, TapedeckEvent event) throws Exception {
        producer.send(new ProducerRecord<>(Topics.SLICES, key, CloudEvent.of("recorder", event, CLOCK))).get();
    }

    static RecordingClosed close(String recordingId, String rendition, long lastSeq, long durationMillis) {
        return new RecordingClosed(recordingId, KEY.toString(), rendition, lastSeq, lastSeq + 1, durationMillis,
                RecordingClosed.Reason.UNPUBLISHED, null, CLOCK.instant());
    }

    static CatalogEntry await(String recordingId, Predicate<CatalogEntry> what) {
        return (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                && c.recordingId().equals(recordingId) && what.test(c), Duration.ofMinutes(10)).value().data();
    }

    static String throughput() throws Exception {
        String id = Ids.uuid7(CLOCK);
        List<SliceStored> events = new ArrayList<>();
        for (List<Slice> slices : SLICES.values()) {
            for (Slice s : slices) {
                events.add(store(id, s, s.seq(), s.firstDtsMillis()));
            }
        }
        long t0 = System.nanoTime();
        for (SliceStored e : events) {
            send(Topics.sliceKey(id, e.rendition()), e);
        }
        for (var r : SLICES.entrySet()) {
            Slice last = r.getValue().get(r.getValue().size() - 1);
            send(Topics.sliceKey(id, r.getKey()), close(id, r.getKey(), last.seq(), last.firstDtsMillis() + last.durationMillis()));
        }
        CatalogEntry ready = await(id, c -> c.status() != CatalogEntry.Status.LIVE);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (ready.status() != CatalogEntry.Status.READY || ready.renditions().size() != SLICES.size()) {
            return "ERROR the replay ended " + ready.status() + " with " + ready.renditions().size() + " renditions: " + ready.message();
        }
        return String.format(Locale.ROOT, "THROUGHPUT ms=%d media_s=%.1f renditions=%d", ms,
                ready.renditions().stream().mapToLong(CatalogEntry.Rendition::durationMillis).sum() / 1000.0, ready.renditions().size());
    }

    /**
     * A manifest as the packager keeps it, for a source rendition with {@code n} slices of 10 s packaged into two
     * segments each (6 s and 4 s), as a recording that has run that long would have; its segment objects are not needed.
     */
    static void prepare(String recordingId, int n, Slice template) throws Exception {
        ObjectNode m = JSON.createObjectNode();
        m.put("recordingId", recordingId).put("streamKey", KEY.toString()).put("app", KEY.app()).put("stream", KEY.stream())
                .put("startedAt", CLOCK.instant().minusSeconds(10L * n).toString());
        ObjectNode r = m.putObject("renditions").putObject("source");
        r.put("width", 1280).put("height", 720).put("codecs", "avc1.64001f,mp4a.40.2").put("targetDuration", 7);
        ArrayNode slices = r.putArray("slices");
        ArrayNode segments = r.putArray("segments");
        long index = 0;
        for (long seq = 0; seq < n; seq++) {
            slices.add(seq);
            for (long d : new long[] {6000, 4000}) {
                ObjectNode s = segments.addObject();
                s.put("index", index).put("slice", seq).put("firstDtsMillis", seq * 10_000 + (d == 4000 ? 6000 : 0))
                        .put("durationMillis", d).put("bytes", d * 300).put("videoFrames", d * 30 / 1000).put("discontinuity", false);
                index++;
            }
        }
        Path target = bucket.resolve(StorageKeys.manifest(recordingId));
        Files.createDirectories(target.getParent());
        Files.write(target, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
    }

    /** Announces slice {@code seq} of the source (the source template's media, placed at {@code seq * 10 s}) and waits for its entry. */
    static long packageOne(String id, Slice template, long seq) throws Exception {
        SliceStored e = store(id, template, seq, template.firstDtsMillis() + seq * 10_000);
        long t0 = System.nanoTime();
        send(Topics.sliceKey(id, "source"), e);
        await(id, c -> c.renditions().stream().anyMatch(r -> r.name().equals("source") && r.durationMillis() > seq * 10_000 + 5_000));
        return (System.nanoTime() - t0) / 1_000_000;
    }

    static String sliceCost(int n, int runs) throws Exception {
        Slice template = source();
        List<Long> times = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            String id = Ids.uuid7(CLOCK);
            prepare(id, n, template);
            packageOne(id, template, n);
            times.add(packageOne(id, template, n + 1));
        }
        times.sort(null);
        return String.format(Locale.ROOT, "SLICECOST median_ms=%d min_ms=%d max_ms=%d", times.get(times.size() / 2), times.get(0),
                times.get(times.size() - 1));
    }

    static String ready(int n, int runs) throws Exception {
        Slice template = source();
        List<Long> times = new ArrayList<>();
        for (int run = 0; run < runs; run++) {
            String id = Ids.uuid7(CLOCK);
            prepare(id, n - 2, template);
            packageOne(id, template, n - 2);
            SliceStored last = store(id, template, n - 1, template.firstDtsMillis() + (n - 1) * 10_000L);
            long t0 = System.nanoTime();
            send(Topics.sliceKey(id, "source"), last);
            send(Topics.sliceKey(id, "source"), close(id, "source", n - 1, n * 10_000L));
            CatalogEntry ready = await(id, c -> c.status() != CatalogEntry.Status.LIVE);
            times.add((System.nanoTime() - t0) / 1_000_000);
            if (ready.status() != CatalogEntry.Status.READY) {
                return "ERROR the replay ended " + ready.status() + ": " + ready.message();
            }
        }
        times.sort(null);
        long p95 = times.get((int) Math.ceil(times.size() * 0.95) - 1);
        return String.format(Locale.ROOT, "READY p95_ms=%d median_ms=%d", p95, times.get(times.size() / 2));
    }

    /** A 10 s slice of the source rendition whose stream time starts at 0, used as the media of every prepared slice. */
    static Slice source() {
        return SLICES.get("source").stream().filter(s -> s.seq() == 0).findFirst().orElseThrow();
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
