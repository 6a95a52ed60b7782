package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.PublishTokens;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.testkit.TopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** Publishers authenticated by signed URLs (auth=hmac) on the real stack: nginx-rtmp drops whoever the hook refuses. */
class PublishAuthIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    static final String SECRET = "local-test-hmac-secret";

    @BeforeAll
    static void start() throws Exception {
        // Its own stack: publishing needs a signed URL (an HMAC secret).
        stack = startStack(data, s -> s.transcode(false).recorders(1).sliceLength(Duration.ofSeconds(2)).hmacSecret(SECRET));
    }

    /** Runs {@code ./tapedeck publish-url} (the Launcher's command) as its own process, the secret in its environment. */
    static String mintWithTheCommand(String stream) throws Exception {
        Path out = data.resolve("publish-url.out");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Launcher.class.getName(), "publish-url", stream, "--ttl", "10m",
                "--base", "rtmp://127.0.0.1:" + stack.settings().rtmpPort()).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("TAPEDECK_HOOK_HMAC_SECRET", SECRET);
        assertThat(pb.start().waitFor()).isZero();
        return java.nio.file.Files.readString(out).strip();
    }

    static int publish(String url, String name) throws Exception {
        try (Publisher p = Publisher.start(url, 320, 240, 15, 6, data.resolve(name + ".log"))) {
            return p.await();
        }
    }

    @Test
    void onlyAValidSignedUrlGoesLive() throws Exception {
        assertThat(publish(stack.rtmpUrl("live", "noauth"), "noauth")).as("no token: nginx drops the publisher").isNotZero();
        long past = Instant.now().getEpochSecond() - 10;
        String expired = stack.rtmpUrl("live", "expired") + "?token=" + PublishTokens.sign(SECRET, PublishTokens.message("live", "expired", past))
                + "&expires=" + past;
        assertThat(publish(expired, "expired")).as("an expired token: dropped").isNotZero();

        String minted = mintWithTheCommand("live/signed");
        assertThat(minted).startsWith(stack.rtmpUrl("live", "signed") + "?token=");
        assertThat(publish(minted, "signed")).as("the minted URL publishes").isZero();
        try (TopicReader streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
                TopicReader slices = new TopicReader(stack.kafkaBootstrap(), Topics.SLICES)) {
            StreamPublished p = (StreamPublished) streams.await(r -> r.value().data() instanceof StreamPublished sp
                    && sp.stream().equals("signed"), Duration.ofSeconds(10)).value().data();
            slices.await(r -> r.value().data() instanceof SliceStored s && s.recordingId().equals(p.recordingId()), Duration.ofSeconds(30));
            List<String> refused = streams.seen().stream().filter(r -> r.value().data() instanceof StreamPublished sp
                    && (sp.stream().equals("noauth") || sp.stream().equals("expired"))).map(r -> r.key()).toList();
            assertThat(refused).as("refused publishes wrote nothing").isEmpty();
        }
    }
}
