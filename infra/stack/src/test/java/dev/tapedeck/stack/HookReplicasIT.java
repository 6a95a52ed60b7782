package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two ingest-hook replicas against one broker, as behind a Service: nginx sends every publish to one and every
 * publish_done to the other, and the second is killed and restarted while the stream is live.
 */
class HookReplicasIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        // Its own stack: it kills a hook replica.
        stack = startStack(data, s -> s.transcode(false).sliceLength(Duration.ofSeconds(4)).recorders(1).secondHook());
    }

    @Test
    void aSessionOpenedByOneReplicaIsEndedByTheOtherEvenAfterItsRestartAndNotByALateEnd() throws Exception {
        // Long enough that the killed replica, restarted on a busy machine, has caught up with the sessions before the end.
        try (LiveStream stream = new LiveStream(stack, data, "replicas", 40)) {
            StreamPublished published = stream.published;
            stream.holderAfterSlice(0);

            // The replica that ends sessions is killed and restarted: it learns the sessions opened before it started.
            ServiceProcess ender = stack.hooks().get(1);
            ReplayCheck.killAndAwaitRestart(ender);
            ender.awaitHttp("http://127.0.0.1:" + stack.settings().endHookPort() + "/q/health/ready", Duration.ofSeconds(60));

            // A late publish_done of an older connection of the same stream, answered by that replica: nothing changes.
            HttpResponse<String> late = ReplayCheck.HTTP.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + stack.settings().endHookPort() + "/hooks/nginx-rtmp"))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("call=publish_done&app=live&name=replicas&clientid=999999&addr=127.0.0.1"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(late.statusCode()).isEqualTo(200);
            long sliceAfterLateEnd = stream.lastSeq() + 2;
            stream.awaitSlice(sliceAfterLateEnd);
            assertThat(stream.streams.readToEnd()).as("no unpublish while the publisher is on")
                    .noneMatch(r -> r.value() != null && r.value().data() instanceof StreamUnpublished u && u.stream().equals("replicas"));

            stream.awaitPublisher();
            StreamUnpublished end = (StreamUnpublished) stream.streams.await(r -> r.value() != null
                    && r.value().data() instanceof StreamUnpublished u && u.stream().equals("replicas"), Duration.ofSeconds(30)).value().data();
            assertThat(end.sessionId()).as("the restarted replica ended the session the other opened").isEqualTo(published.sessionId());

            ReplayCheck.Result r = ReplayCheck.check(stack, stream.id(), 0);
            assertThat(r.replaySeconds()).as("the whole stream, recorded without a break").isGreaterThan(38.0);
            System.out.printf(Locale.ROOT, "[two ingest-hook replicas] session %s opened by one, ended by the other after its restart; replay %.1f s of 40 s%n",
                    published.sessionId(), r.replaySeconds());
        }
    }
}
