package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.event.CatalogEntry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * The guard of the shared stack's isolation. Run first of the classes that share {@link StackTest#RECORDING_ONLY}
 * (classes are ordered by {@code @Order}, see junit-platform.properties), it leaves behind what a failed or careless
 * scenario would: a stream still live while the next classes run, and a recording whose publisher died mid-slice, not
 * yet closed. {@link PublisherMediaIT} and {@link TimestampFaultsIT} then run on that stack and must reach the outcome
 * they reach on a clean one: each finds its own recordings by its own stream names.
 */
@Order(1)
class SharedStackLeftoversIT extends StackTest {
    /** Longer than the classes that run after it on the shared stack take (about 80 s each). */
    static final double LIVE_SECONDS = 240;

    @BeforeAll
    static void start() throws Exception {
        sharedStack(RECORDING_ONLY, StackTest::recordingOnly);
    }

    @Test
    void aLiveStreamAndAHalfRecordedOneAreLeftBehindForTheClassesAfterIt() throws Exception {
        // Still publishing when this class ends; it ends by itself, or with the stack at the end of the test JVM.
        LiveStream live = new LiveStream(stack, data, "leftover-live", LIVE_SECONDS);
        Runtime.getRuntime().addShutdownHook(new Thread(live::close, "stop-leftover-live"));
        LiveStream killed = new LiveStream(stack, data, "leftover-killed", 60);
        killed.awaitSlice(1);
        killed.publisher.kill(); // mid-slice: its recording stays open for the reconnect window (30 s)
        live.awaitSlice(1);

        List<CatalogEntry.Status> left = List.of(status(live.id()), status(killed.id()));
        System.out.printf("[leftovers] %s live, %s killed mid-slice: %s%n", live.id(), killed.id(), left);
        assertThat(left).as("both recordings are still being made when the next class starts")
                .containsOnly(CatalogEntry.Status.LIVE);
        assertThat(live.publisher.alive()).as("the live stream is still published").isTrue();
        killed.close();
    }

    /** The recording's status in the catalog, once it has an entry. */
    private static CatalogEntry.Status status(String id) {
        try (var vods = new dev.tapedeck.testkit.TopicReader(stack.kafkaBootstrap(), dev.tapedeck.contract.Topics.VODS)) {
            CatalogEntry last = null;
            for (var r : vods.readToEnd()) {
                if (r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)) {
                    last = c;
                }
            }
            if (last == null) {
                last = (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                        && c.recordingId().equals(id), Duration.ofSeconds(30)).value().data();
            }
            return last.status();
        }
    }
}
