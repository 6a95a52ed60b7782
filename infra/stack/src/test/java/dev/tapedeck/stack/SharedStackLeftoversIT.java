package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.testkit.TopicReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The guard of the shared stack's isolation. As {@link StackTest#RECORDING_ONLY} starts, before any class joins it,
 * {@link #leave} leaves behind what a failed or careless scenario would: a stream that stays live for as long as the
 * stack runs, and a recording whose publisher died mid-slice, not yet closed (the pipeline closes it while the classes
 * run). {@link PublisherMediaIT} and {@link TimestampFaultsIT} run on that stack, side by side with each
 * other and this class, and must reach the outcome they reach on a clean one: each finds its own recordings by its own
 * stream names. This class shows that the leftovers are there.
 */
class SharedStackLeftoversIT extends StackTest {
    static Stack stack;

    /** What {@link #leave} left: the two recordings, and their statuses once left. */
    record Leftovers(LiveStream live, String killedId, List<CatalogEntry.Status> statuses) {
    }

    /** Set by {@link #leave} when the recording-only stack starts. */
    static volatile Leftovers left;

    /**
     * Longer than the suite runs: the stream ends with the stack, at the end of the test JVM. Small, so that it costs
     * the classes beside it little.
     */
    static final double LIVE_SECONDS = 3600;

    @BeforeAll
    static void start() throws Exception {
        stack = recordingOnlyStack();
    }

    /**
     * Publishes a stream that stays live and one killed mid-slice into a freshly started shared stack, files under
     * {@code dir}. Both recordings are LIVE when this returns.
     */
    static void leave(Stack stack, Path dir) throws Exception {
        LiveStream live = new LiveStream(stack, dir, "leftover-live", LIVE_SECONDS, 320, 180, 15);
        Runtime.getRuntime().addShutdownHook(new Thread(live::close, "stop-leftover-live"));
        try (LiveStream killed = new LiveStream(stack, dir, "leftover-killed", 60)) {
            live.awaitSlice(1);
            killed.awaitSlice(1);
            // Mid-slice, as the stack is handed over: the pipeline closes its recording while the classes run.
            killed.publisher.kill();
            List<CatalogEntry.Status> statuses = List.of(status(stack, live.id()), status(stack, killed.id()));
            System.out.printf("[leftovers] %s live, %s killed mid-slice: %s%n", live.id(), killed.id(), statuses);
            left = new Leftovers(live, killed.id(), statuses);
        }
    }

    @Test
    void aLiveStreamAndAHalfRecordedOneAreLeftInTheSharedStackForTheClassesThatJoinIt() {
        assertThat(left).as("the recording-only stack started with leftovers").isNotNull();
        assertThat(left.statuses()).as("both recordings were still being made when the stack was handed to the classes")
                .containsOnly(CatalogEntry.Status.LIVE);
        assertThat(left.live().publisher.alive()).as("the live stream is still published").isTrue();
    }

    /** The recording's status in the catalog, once it has an entry. */
    private static CatalogEntry.Status status(Stack stack, String id) {
        try (var vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS)) {
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
