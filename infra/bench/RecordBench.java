import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.contract.kafka.CloudEventSerializer;
import dev.tapedeck.testkit.EmbeddedKafka;
import dev.tapedeck.testkit.EmbeddedS3;
import dev.tapedeck.testkit.TapedeckTopics;
import dev.tapedeck.testkit.TopicReader;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The recorder benchmark's side of the pipeline: a real Kafka broker (KRaft) with Tapedeck's topics and the S3
 * server, the ones the local stack and the tests use. It plays ingest-hook's part (the streams' lifecycle events)
 * and reads back what the recorder announced. Prints {@code <bootstrap> <s3 endpoint>}, then answers commands on
 * standard input, one per line:
 * <ul>
 * <li>{@code publish <app> <prefix> <n>}: StreamPublished for {@code <app>/<prefix><i>}, i &lt; n</li>
 * <li>{@code end <app> <prefix> <n>}: their ends</li>
 * <li>{@code report <app> <prefix> <n> <first-packet-epoch-ms> <published-s>}: waits until every recording closed,
 * then prints {@code REPORT recordings= slices= lost= recorded_s= published_s= max_lag_ms=}</li>
 * </ul>
 */
public class RecordBench {
    private static final Clock CLOCK = Clock.systemUTC();
    private static final Map<String, StreamPublished> SESSIONS = new HashMap<>();

    public static void main(String[] args) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(Path.of(args[0]).resolve("kafka"), 0);
        TapedeckTopics.create(kafka.bootstrapServers(), 3);
        EmbeddedS3 s3 = EmbeddedS3.start(Path.of(args[0]).resolve("s3"), 0);
        System.out.println(kafka.bootstrapServers() + " " + s3.endpoint());
        System.out.flush();
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        try (var producer = new KafkaProducer<String, CloudEvent<?>>(p, new StringSerializer(), new CloudEventSerializer());
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] w = line.trim().split("\\s+");
                switch (w[0]) {
                    case "publish" -> {
                        List<Future<?>> acks = new ArrayList<>();
                        for (int i = 0; i < Integer.parseInt(w[3]); i++) {
                            String stream = w[2] + i;
                            String key = "__defaultVhost__/" + w[1] + "/" + stream;
                            String session = Ids.uuid7(CLOCK);
                            StreamPublished sp = new StreamPublished(key, "__defaultVhost__", w[1], stream, session, session, false, key,
                                    "source", "nginx-rtmp", "127.0.0.1", String.valueOf(i), "127.0.0.1", null, CLOCK.instant());
                            SESSIONS.put(key, sp);
                            CloudEvent<?> ce = CloudEvent.of("ingest-hook", sp, CLOCK);
                            acks.add(producer.send(new ProducerRecord<>(Topics.STREAMS, key, ce)));
                            acks.add(producer.send(new ProducerRecord<>(Topics.LIVE, key, ce)));
                        }
                        for (Future<?> f : acks) {
                            f.get();
                        }
                        System.out.println("OK");
                    }
                    case "end" -> {
                        List<Future<?>> acks = new ArrayList<>();
                        for (int i = 0; i < Integer.parseInt(w[3]); i++) {
                            StreamPublished sp = SESSIONS.get("__defaultVhost__/" + w[1] + "/" + w[2] + i);
                            StreamUnpublished u = new StreamUnpublished(sp.streamKey(), sp.vhost(), sp.app(), sp.stream(), sp.sessionId(),
                                    false, "nginx-rtmp", sp.clientId(), CLOCK.instant(), sp.recordingId());
                            acks.add(producer.send(new ProducerRecord<>(Topics.STREAMS, sp.streamKey(), CloudEvent.of("ingest-hook", u, CLOCK))));
                            acks.add(producer.send(new ProducerRecord<>(Topics.LIVE, sp.streamKey(), null)));
                        }
                        for (Future<?> f : acks) {
                            f.get();
                        }
                        System.out.println("OK");
                    }
                    case "report" -> System.out.println(report(kafka.bootstrapServers(), w[1], w[2], Integer.parseInt(w[3]),
                            Long.parseLong(w[4]), Double.parseDouble(w[5])));
                    default -> System.out.println("ERROR unknown command " + w[0]);
                }
                System.out.flush();
            }
        }
        s3.close();
        kafka.close();
    }

    /**
     * Lost slices: numbers missing below a recording's last one, and recordings that never closed within 60 s.
     * Lag: how long after its last packet (the publisher's first packet plus the slice's last DTS) a slice cut by the
     * grid was announced.
     */
    static String report(String bootstrap, String app, String prefix, int n, long firstPacketMillis, double publishedSeconds) {
        Map<String, String> ids = new HashMap<>();
        for (int i = 0; i < n; i++) {
            StreamPublished sp = SESSIONS.get("__defaultVhost__/" + app + "/" + prefix + i);
            ids.put(sp.recordingId(), sp.streamKey());
        }
        Map<String, TreeSet<Long>> seqs = new HashMap<>();
        Map<String, RecordingClosed> closed = new HashMap<>();
        long recordedMillis = 0;
        long maxLag = 0;
        try (TopicReader slices = new TopicReader(bootstrap, Topics.SLICES)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (closed.size() < n && System.nanoTime() < deadline) {
                for (var r : slices.readToEnd()) {
                    if (r.value() == null) {
                        continue;
                    }
                    if (r.value().data() instanceof RecordingClosed c && ids.containsKey(c.recordingId())) {
                        closed.put(c.recordingId(), c);
                    }
                }
            }
            for (var r : slices.seen()) {
                if (r.value() != null && r.value().data() instanceof SliceStored s && ids.containsKey(s.recordingId())
                        && seqs.computeIfAbsent(s.recordingId(), k -> new TreeSet<>()).add(s.seq())) {
                    recordedMillis += s.durationMillis();
                    RecordingClosed c = closed.get(s.recordingId());
                    if (c != null && c.lastSeq() == s.seq()) {
                        // The last slice is cut by the end, not by the grid: it says nothing about keeping up.
                        continue;
                    }
                    long lastPacketAt = firstPacketMillis + s.lastDtsMillis();
                    maxLag = Math.max(maxLag, s.storedAt().toEpochMilli() - lastPacketAt);
                }
            }
        }
        long lost = 0;
        long stored = 0;
        for (String id : ids.keySet()) {
            TreeSet<Long> s = seqs.getOrDefault(id, new TreeSet<>());
            stored += s.size();
            if (!s.isEmpty()) {
                lost += s.last() + 1 - s.size();
            }
            if (!closed.containsKey(id)) {
                lost++;
            }
        }
        return String.format(Locale.ROOT, "REPORT recordings=%d closed=%d slices=%d lost=%d recorded_s=%.1f published_s=%.1f max_lag_ms=%d",
                n, closed.size(), stored, lost, recordedMillis / 1000.0, publishedSeconds * n, maxLag);
    }
}
