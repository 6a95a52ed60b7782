package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TopicReader;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** What the recorder fault tests check of a finished replay, and how they find the replica holding a stream. */
final class ReplayCheck {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    static final ObjectMapper JSON = new ObjectMapper();
    /** A jump in stream time between two slices larger than this, either way, is a gap (frames are 33 ms apart). */
    static final long GAP_MILLIS = 500;

    private ReplayCheck() {
    }

    /** The measured gaps of a rendition, in ms of stream time, and the slices. */
    record Result(List<SliceStored> slices, List<Long> gaps, double replaySeconds) {
    }

    /** The video frames of a recording's replay (its source rendition), counted by ffprobe. */
    static long videoFrames(Stack stack, String id) {
        return videoFrames(stack, id, "source");
    }

    /** The video frames in a replay's rendition, counted by ffprobe. */
    static long videoFrames(Stack stack, String id, String rendition) {
        String line = MediaTools.probe(stack.apiUrl() + "/vod/" + id + "/" + rendition + "/index.m3u8", "-select_streams", "v:0", "-count_packets",
                "-show_entries", "stream=nb_read_packets").get(0);
        return Long.parseLong(line.replace(",", "").strip());
    }

    /** A replica that pulls a stream, and when its pull received the first packet. */
    record Resumed(int replica, java.time.Instant at) {
    }

    /** The replica whose running pull of the stream has received media, and since when; empty when none has. */
    static java.util.Optional<Resumed> resumed(Stack stack, String streamKey) {
        return find(stack, streamKey, "recordings", (i, rec) -> rec.hasNonNull("mediaSince")
                ? java.util.Optional.of(new Resumed(i, java.time.Instant.parse(rec.path("mediaSince").asText())))
                : java.util.Optional.empty());
    }

    /** The replica whose {@code /v1/recordings} lists the stream with a running pull, if any. */
    static OptionalInt holder(Stack stack, String streamKey) {
        return listing(stack, streamKey, "recordings");
    }

    /** The recorder replica standing by for the stream (pulling it beside its owner), if any. */
    static OptionalInt standby(Stack stack, String streamKey) {
        return listing(stack, streamKey, "standbys");
    }

    /** Waits until a replica other than {@code not} (-1 for any) stands by for the stream; returns it. */
    static int awaitStandby(Stack stack, String streamKey, int not, Duration timeout) throws InterruptedException {
        return awaitListing(stack, streamKey, "standbys", not, timeout);
    }

    /** Polls until a replica other than {@code not} lists the stream as running under {@code list}; returns it. */
    private static int awaitListing(Stack stack, String streamKey, String list, int not, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            OptionalInt h = listing(stack, streamKey, list);
            if (h.isPresent() && h.getAsInt() != not) {
                return h.getAsInt();
            }
            assertThat(System.nanoTime()).as("a replica other than %d lists %s under %s within %s", not, streamKey, list, timeout)
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** The replica whose {@code /v1/recordings} lists the stream as running under {@code list}. */
    private static OptionalInt listing(Stack stack, String streamKey, String list) {
        return find(stack, streamKey, list, (i, rec) -> java.util.Optional.of(i)).map(OptionalInt::of).orElse(OptionalInt.empty());
    }

    /**
     * The first answer of {@code pick} for a running entry of the stream under {@code list} in a replica's
     * {@code /v1/recordings}; replicas that do not answer (restarting) hold nothing.
     */
    private static <T> java.util.Optional<T> find(Stack stack, String streamKey, String list,
            java.util.function.BiFunction<Integer, JsonNode, java.util.Optional<T>> pick) {
        for (int i = 0; i < stack.recorders().size(); i++) {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(stack.recorderUrl(i) + "/v1/recordings"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    continue;
                }
                for (JsonNode rec : JSON.readTree(r.body()).path(list)) {
                    if (rec.path("streamKey").asText().equals(streamKey) && rec.path("running").asBoolean()) {
                        java.util.Optional<T> found = pick.apply(i, rec);
                        if (found.isPresent()) {
                            return found;
                        }
                    }
                }
            } catch (java.io.IOException e) {
                // a replica that is down holds nothing
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return java.util.Optional.empty();
            }
        }
        return java.util.Optional.empty();
    }

    /** Waits until a replica other than {@code not} (-1 for any) pulls the stream; returns it. */
    static int awaitHolder(Stack stack, String streamKey, int not, Duration timeout) throws InterruptedException {
        return awaitListing(stack, streamKey, "recordings", not, timeout);
    }

    /** SIGKILL, then waits until the launcher started the process again; returns when it was restarted. */
    static Instant killAndAwaitRestart(ServiceProcess process) throws InterruptedException {
        Instant before = process.startedAt();
        process.kill();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (process.startedAt().equals(before)) {
            assertThat(System.nanoTime()).as("the launcher restarts the killed %s", process.name).isLessThan(deadline);
            Thread.sleep(50);
        }
        return process.startedAt();
    }

    /** Waits until every recorder replica answers ready again (after a kill, the supervisor restarts it). */
    static void awaitPoolReady(Stack stack, Duration timeout) throws InterruptedException {
        for (int i = 0; i < stack.recorders().size(); i++) {
            ServiceProcess p = stack.recorders().get(i);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                try {
                    if (p.process().isAlive() && HTTP.send(HttpRequest.newBuilder(URI.create(stack.recorderUrl(i) + "/q/health/ready"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                        break;
                    }
                } catch (Exception e) {
                    // not yet
                }
                assertThat(System.nanoTime()).as("%s ready again", p.name).isLessThan(deadline);
                Thread.sleep(200);
            }
        }
    }

    /** A number from a replica's Prometheus metrics; 0 when it does not answer. */
    static double metric(Stack stack, int replica, String name) {
        try {
            String body = HTTP.send(HttpRequest.newBuilder(URI.create(stack.recorderUrl(replica) + "/q/metrics"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$").matcher(body);
            return m.find() ? Double.parseDouble(m.group(1)) : 0;
        } catch (Exception e) {
            return 0;
        }
    }

    /**
     * The replay of {@code id} after its publisher stopped: READY, every slice announced once in sequence and
     * unchanged in the bucket, RecordingClosed last, the replay decoding without an error line, and exactly
     * {@code discontinuities} marked gaps in stream time, each in the slices' events and the playlist.
     */
    static Result check(Stack stack, String id, int discontinuities) throws Exception {
        try (TopicReader slices = new TopicReader(stack.kafkaBootstrap(), Topics.SLICES);
                TopicReader vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS)) {
            vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                    && c.status() == CatalogEntry.Status.READY, Duration.ofSeconds(90));
            List<ConsumerRecord<String, CloudEvent<?>>> ofRecording = slices.readToEnd().stream()
                    .filter(r -> r.key().equals(Topics.sliceKey(id, "source"))).toList();
            List<SliceStored> stored = ofRecording.stream().filter(r -> r.value().data() instanceof SliceStored)
                    .map(r -> (SliceStored) r.value().data()).toList();
            assertThat(ofRecording.get(ofRecording.size() - 1).value().data()).as("RecordingClosed comes last")
                    .isInstanceOfSatisfying(RecordingClosed.class, c -> assertThat(c.reason().isFinal()).isTrue());
            Map<Long, Long> perSeq = stored.stream().collect(Collectors.groupingBy(SliceStored::seq, Collectors.counting()));
            assertThat(perSeq.values()).as("no slice announced twice").allMatch(n -> n == 1);
            assertThat(stored).extracting(SliceStored::seq).as("no sequence number missing, in order")
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, stored.size()).boxed().toList());
            for (SliceStored s : stored) {
                assertThat(sha256(stack.bucketDir().resolve(s.objectKey()))).as("slice %d unchanged since announced", s.seq())
                        .isEqualTo(s.sha256());
            }
            List<Long> gaps = new java.util.ArrayList<>();
            for (int i = 1; i < stored.size(); i++) {
                SliceStored prev = stored.get(i - 1);
                SliceStored next = stored.get(i);
                long gap = next.firstDtsMillis() - (prev.firstDtsMillis() + prev.durationMillis());
                // Stream time that jumps ahead, or starts over (a publisher that came back starts at 0 again).
                if (gap > GAP_MILLIS || gap < -GAP_MILLIS) {
                    gaps.add(gap);
                    assertThat(next.discontinuity()).as("slice %d after a %d ms gap is marked", next.seq(), gap).isTrue();
                }
            }
            assertThat(gaps).as("gaps in stream time").hasSize(discontinuities);
            assertThat(stored.stream().filter(SliceStored::discontinuity).count()).as("slices marked discontinuous")
                    .isEqualTo(discontinuities);

            String master = stack.apiUrl() + "/vod/" + id + "/master.m3u8";
            assertThat(MediaTools.decodeErrors(master)).as("decode of the whole replay").isEmpty();
            String playlist = StackTest.get(stack.apiUrl() + "/vod/" + id + "/source/index.m3u8");
            assertThat(count(playlist, "#EXT-X-DISCONTINUITY\n")).as("discontinuities in the playlist").isEqualTo(discontinuities);
            assertThat(playlist).endsWith("#EXT-X-ENDLIST\n");
            if (stack.settings().transcode()) {
                ladder(stack, id, 1 / 30.0);
            }
            return new Result(stored, gaps, MediaTools.duration(master));
        }
    }

    /**
     * The adaptive replay of {@code id}: its master lists the source and every rung of the default ladder below the
     * source's height; no rung has an {@code EXT-X-GAP} segment (the replay has no real hole) and each has as many segments
     * as the source, segment N starting at the presentation time of the source's segment N within {@code frameSeconds};
     * every rendition decodes without an error line. Returns the renditions, as the master lists them.
     */
    static List<String> ladder(Stack stack, String id, double frameSeconds) throws Exception {
        String base = stack.apiUrl() + "/vod/" + id + "/";
        String master = StackTest.get(base + "master.m3u8");
        List<String> size = MediaTools.probe(base + "source/index.m3u8", "-select_streams", "v:0", "-show_entries", "stream=width,height");
        String[] wh = size.get(0).split(",");
        List<String> expected = new java.util.ArrayList<>(List.of("source"));
        dev.tapedeck.contract.Ladder.DEFAULT.forSource(Integer.parseInt(wh[0]), Integer.parseInt(wh[1]))
                .forEach(o -> expected.add(o.name()));
        List<String> variants = variants(master);
        assertThat(variants).as("the master lists every rendition: %s", master).containsExactlyInAnyOrderElementsOf(expected);
        List<Double> source = segmentStarts(stack, id, "source");
        for (String rendition : variants) {
            String playlist = StackTest.get(base + rendition + "/index.m3u8");
            assertThat(playlist).as("%s: no gap where the source has media", rendition).doesNotContain("#EXT-X-GAP");
            assertThat(MediaTools.decodeErrors(base + rendition + "/index.m3u8")).as("%s decodes fully", rendition).isEmpty();
            if (!rendition.equals("source")) {
                List<Double> own = segmentStarts(stack, id, rendition);
                assertThat(own).as("%s has the source's segments", rendition).hasSameSizeAs(source);
                for (int i = 0; i < source.size(); i++) {
                    assertThat(own.get(i)).as("%s segment %d starts where the source's does", rendition, i)
                            .isCloseTo(source.get(i), org.assertj.core.api.Assertions.within(frameSeconds + 0.001));
                }
            }
        }
        return variants;
    }

    /** The master playlist's FRAME-RATE of each variant, in order. */
    static List<Double> frameRates(String master) {
        return Pattern.compile("FRAME-RATE=([0-9.]+)").matcher(master).results().map(r -> Double.parseDouble(r.group(1))).toList();
    }

    /** The master playlist's variant names, in order. */
    static List<String> variants(String master) {
        List<String> names = new java.util.ArrayList<>();
        Matcher m = Pattern.compile("(?m)^([^#\\s][^/]*)/index\\.m3u8$").matcher(master);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The presentation time of each segment's first video frame, read from the stored segments with ffprobe. */
    static List<Double> segmentStarts(Stack stack, String id, String rendition) throws Exception {
        Path dir = stack.bucketDir().resolve("vod").resolve(id).resolve(rendition);
        List<Double> starts = new java.util.ArrayList<>();
        for (String line : StackTest.get(stack.apiUrl() + "/vod/" + id + "/" + rendition + "/index.m3u8").lines().toList()) {
            if (!line.startsWith("#") && !line.isBlank()) {
                String first = MediaTools.probe(dir.resolve(line.strip()).toString(), "-select_streams", "v",
                        "-read_intervals", "%+#1", "-show_entries", "packet=pts_time").get(0);
                starts.add(Double.parseDouble(first.replace(",", "")));
            }
        }
        return starts;
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            in.transferTo(new java.security.DigestOutputStream(java.io.OutputStream.nullOutputStream(), d));
        }
        return HexFormat.of().formatHex(d.digest());
    }
}
