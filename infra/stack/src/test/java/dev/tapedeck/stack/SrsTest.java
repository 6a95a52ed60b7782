package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.testkit.EmbeddedKafka;
import dev.tapedeck.testkit.EmbeddedS3;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.Ports;
import dev.tapedeck.testkit.TopicReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Base of the tests of the adaptive pipeline behind a real SRS built from its sources ({@code -Dtapedeck.srs.binary=…/trunk/objs/srs}):
 * the services on the embedded Kafka and S3 server, SRS's hooks on ingest-hook with ingest-hook's defaults (SRS
 * publishes are not held for their players), {@code atc on}. SRS keeps a rung's players after the worker's source
 * is gone and ends an idle publish only after its publish timeout, so this is where "rungs end with their source"
 * and "a late rung is only its late start" are seen against the media server that does that. Without the property
 * the class is skipped, saying so: SRS is no Debian package, so the suite cannot depend on it. SRS 7.0.127 or later
 * (7.0.151 for {@link SrsHeldPublishIT}): older ones can drop a source whose {@code on_publish} answer is pending (see
 * ingest-hook's README).
 */
@ExtendWith(SrsTest.SrsBinary.class)
@Execution(ExecutionMode.SAME_THREAD) // a ladder; SrsPipelineIT and SrsHeldPublishIT share these fields
abstract class SrsTest extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    static final String BINARY = System.getProperty("tapedeck.srs.binary", "");

    /** Disables the class, saying why, where no SRS binary is given. */
    static final class SrsBinary implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            return !BINARY.isEmpty() && Files.isExecutable(Path.of(BINARY))
                    ? ConditionEvaluationResult.enabled("SRS at " + BINARY)
                    : ConditionEvaluationResult.disabled("no SRS binary given (-Dtapedeck.srs.binary=…/objs/srs): " + context.getDisplayName() + " is skipped");
        }
    }

    static EmbeddedKafka kafka;
    static EmbeddedS3 s3;
    static ServiceProcess srs;

    /**
     * SRS as in k8s/base and infra/compose: listening on {@code listen}, hooks on {@code hookUrl} (ingest-hook's
     * {@code /hooks/srs}), the source's timestamps kept, its pid file at {@code pidFile}. Also ContainersPipelineIT's.
     */
    static String srsConfig(int listen, String hookUrl, String pidFile) {
        return """
                listen              %2$d;
                max_connections     1000;
                daemon              off;
                srs_log_tank        console;
                pid                 %3$s;
                vhost __defaultVhost__ {
                    play {
                        atc             on;
                        gop_cache       on;
                        # Every packet sent at once: with merged writes a player that stays after the publisher left
                        # never gets the stream's last few hundred ms (see ingest-hook's README).
                        mw_latency      0;
                        mw_msgs         0;
                    }
                    http_hooks {
                        enabled         on;
                        on_publish      %1$s;
                        on_unpublish    %1$s;
                        on_play         %1$s;
                        on_stop         %1$s;
                    }
                }
                """.formatted(hookUrl, listen, pidFile);
    }

    /** Whether ingest-hook holds SRS publishes for their players ({@code srs} in its {@code attach-servers}). */
    static boolean held;

    /** Starts the embedded Kafka and S3 server, SRS and the services on them. */
    static void startOn(boolean holdPublishes) throws Exception {
        held = holdPublishes;
        Path home = Path.of(System.getProperty("tapedeck.home", "../..")).toAbsolutePath().normalize();
        Stack.Settings settings = Stack.Settings.freePorts(home, data, Duration.ofSeconds(10));
        if (holdPublishes) {
            settings = settings.env("TAPEDECK_HOOK_ATTACH_SERVERS", "nginx-rtmp,srs");
        }
        kafka = EmbeddedKafka.start(data.resolve("kafka"), Ports.free());
        s3 = EmbeddedS3.start(data.resolve("s3"), Ports.free());
        Path dir = Files.createDirectories(data.resolve("srs"));
        String hook = "http://127.0.0.1:" + settings.hookPort() + "/hooks/srs";
        Path conf = Files.writeString(dir.resolve("srs.conf"), srsConfig(settings.rtmpPort(), hook, dir.resolve("srs.pid").toString()));
        Files.createDirectories(data.resolve("logs"));
        // Its own: SRS reads files relative to where it runs.
        srs = ServiceProcess.start("srs", List.of(BINARY, "-c", conf.toString()), java.util.Map.of(), data.resolve("logs").resolve("srs.log"));
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!Ports.isOpen("127.0.0.1", settings.rtmpPort())) {
            if (!srs.process().isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("SRS did not start: " + srs.tail());
            }
            Thread.sleep(100);
        }
        stack = Stack.start(settings, new Stack.External(kafka.bootstrapServers(), s3.endpoint(), EmbeddedS3.ACCESS_KEY,
                EmbeddedS3.SECRET_KEY, "rtmp://127.0.0.1:" + settings.rtmpPort()), m -> System.out.println("[stack] " + m));
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (stack != null) {
            stack.close(); // the services finish their work while the servers are still there
        }
        for (AutoCloseable c : new AutoCloseable[] {srs, s3, kafka}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** Where the source's first slice of {@code id} begins in stream time, in seconds: how much of the publish a player missed. */
    static double firstSliceSeconds(String id) throws Exception {
        try (TopicReader slices = new TopicReader(stack.kafkaBootstrap(), Topics.SLICES)) {
            SliceStored first = (SliceStored) slices.await(r -> r.value().data() instanceof SliceStored st && st.recordingId().equals(id)
                    && "source".equals(st.rendition()) && st.seq() == 0, Duration.ofSeconds(10)).value().data();
            return first.firstDtsMillis() / 1000.0;
        }
    }

    /**
     * A 40 s 720p30 stream with x264's defaults (B-frames), published to SRS: every rung's publish ends within a second
     * of the source's, the replay is READY within 5 s of the unpublish with the source and both rungs, the source as
     * long as the publish, and a rung that began late holds gaps for its late start only.
     */
    @Test
    void aStreamWithBFramesPublishedToSrsBecomesAReplayWithItsLadderSoonAfterItEnds() throws Exception {
        double seconds = 40;
        Path media = data.resolve("srs.flv");
        MediaTools.makeFlv(media, 1280, 720, "30", seconds, MediaTools.Encoder.X264_DEFAULTS);
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS)) {
            try (Publisher publisher = Publisher.file(stack.rtmpUrl("live", "srs"), media, data.resolve("srs.log"))) {
                assertThat(publisher.await()).as(publisher.output()).isZero();
            }
            StreamPublished published = (StreamPublished) streams.await(r -> r.value().data() instanceof StreamPublished p
                    && p.stream().equals("srs") && !p.derived(), Duration.ofSeconds(10)).value().data();
            String id = published.recordingId();
            CatalogEntry ready = (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id) && c.status() != CatalogEntry.Status.LIVE, Duration.ofSeconds(120)).value().data();
            assertThat(ready.status()).as(ready.message()).isEqualTo(CatalogEntry.Status.READY);
            StreamUnpublished unpublished = (StreamUnpublished) streams.await(r -> r.value().data() instanceof StreamUnpublished u
                    && u.sessionId().equals(published.sessionId()), Duration.ofSeconds(10)).value().data();
            List<Object> events = streams.readToEnd().stream().map(r -> (Object) r.value().data()).toList();
            List<String> rungSessions = events.stream().filter(d -> d instanceof StreamPublished p && p.derived() && id.equals(p.recordingId()))
                    .map(d -> ((StreamPublished) d).sessionId()).toList();
            assertThat(rungSessions).as("both rungs published").hasSize(2);
            for (String session : rungSessions) {
                StreamUnpublished rungEnd = (StreamUnpublished) events.stream()
                        .filter(d -> d instanceof StreamUnpublished u && u.sessionId().equals(session)).findFirst()
                        .orElseThrow(() -> new AssertionError("rung session " + session + " never unpublished"));
                Duration after = Duration.between(unpublished.unpublishedAt(), rungEnd.unpublishedAt());
                System.out.printf(Locale.ROOT, "[srs] rung %s unpublished %.2f s after the source%n", rungEnd.streamKey(),
                        after.toMillis() / 1000.0);
                assertThat(after).as("%s ends with its source", rungEnd.streamKey()).isLessThan(Duration.ofSeconds(1));
            }
            Duration afterUnpublish = Duration.between(unpublished.unpublishedAt(), ready.updatedAt());
            System.out.printf(Locale.ROOT, "[srs] READY %.1f s after the unpublish, %s%n", afterUnpublish.toMillis() / 1000.0,
                    ready.renditions().stream().map(CatalogEntry.Rendition::name).toList());
            assertThat(afterUnpublish).as("every rendition closed with the source").isLessThan(Duration.ofSeconds(5));
            assertThat(ready.renditions()).extracting(CatalogEntry.Rendition::name).containsExactly("source", "480p", "360p");

            String vod = stack.apiUrl() + "/vod/" + id;
            assertThat(ReplayCheck.variants(get(vod + "/master.m3u8"))).containsExactlyInAnyOrder("source", "480p", "360p");
            // SRS hands a player its GOP cache: the recording begins at the GOP the recorder joined (the first one when
            // the publish was held for it), and goes on to the end.
            double missed = firstSliceSeconds(id);
            System.out.printf(Locale.ROOT, "[srs] the recording begins %.3f s into the publish%n", missed);
            if (held) {
                assertThat(missed).as("held for the recorder: the first frame").isLessThan(0.1);
            }
            assertThat(MediaTools.duration(vod + "/source/index.m3u8")).as("the source, from the GOP the recorder joined")
                    .isCloseTo(seconds - missed, within(0.1));
            com.fasterxml.jackson.databind.JsonNode manifest = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(get(vod + "/manifest.json"));
            List<Double> source = WorkerCrashIT.extinf(get(vod + "/source/index.m3u8"));
            for (String rung : new String[] {"480p", "360p"}) {
                long late = manifest.path("renditions").path(rung).path("startsAfterSourceMillis").asLong(0);
                String playlist = get(vod + "/" + rung + "/index.m3u8");
                long gaps = playlist.lines().filter("#EXT-X-GAP"::equals).count();
                System.out.printf(Locale.ROOT, "[srs] %s starts %d ms after the source: %d gap segments of %d%n", rung, late, gaps,
                        source.size());
                List<Double> own = WorkerCrashIT.extinf(playlist);
                assertThat(own).as("%s has the source's segments: %s", rung, playlist).hasSameSizeAs(source);
                if (held) {
                    assertThat(late).as("%s held for its worker: it starts with the source", rung).isLessThanOrEqualTo(50);
                }
                // A rung late by less than a segment is one gap at most; none where it was not late.
                assertThat(gaps).as("%s: gaps only for its late start (%d ms)", rung, late)
                        .isLessThanOrEqualTo(late <= 50 ? 0 : (long) Math.ceil(late / 1000.0 / source.get(0)));
                assertThat(MediaTools.decodeErrors(vod + "/" + rung + "/index.m3u8")).as("%s decodes fully", rung).isEmpty();
            }
            assertThat(MediaTools.decodeErrors(vod + "/source/index.m3u8")).isEmpty();
        }
    }
}
