package dev.tapedeck.recorder.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ownership, resume, handover and spool rules, on fakes: no natives, no servers. */
class RecorderServiceTest {
    static final StreamKey SOURCE = StreamKey.parse(Harness.SOURCE);

    static String key(String id, long seq) {
        return StorageKeys.slice(SOURCE, id, "source", seq);
    }

    static void awaitSlices(Harness h, int n) throws InterruptedException {
        await(() -> h.events.slices().size() >= n, n + " slices announced");
    }

    static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within 10 s").isLessThan(deadline);
            Thread.sleep(2);
        }
    }

    @Test
    void anEndedStreamIsClosedAfterItsLastSliceWithTheSlicesInSequence(@TempDir Path dir) throws Exception {
        try (Harness h = new Harness(dir, 4)) {
            StreamPublished p = Harness.published("s1");
            h.recorder.own(p);
            awaitSlices(h, 3);
            h.recorder.end(p).get(10, TimeUnit.SECONDS);

            List<SliceStored> slices = h.events.slices();
            assertThat(slices).extracting(SliceStored::seq).containsExactlyElementsOf(LongStream.range(0, slices.size()).boxed().toList());
            assertThat(slices).noneMatch(SliceStored::discontinuity);
            assertThat(h.events.all.get(h.events.all.size() - 1)).isInstanceOfSatisfying(RecordingClosed.class, c -> {
                assertThat(c.reason()).isEqualTo(RecordingClosed.Reason.UNPUBLISHED);
                assertThat(c.lastSeq()).isEqualTo(slices.size() - 1);
            });
            assertThat(h.store.objects).hasSize(slices.size());
            assertThat(h.spool.count()).as("nothing left in the spool").isZero();
        }
    }

    @Test
    void aResumedRecordingContinuesAfterTheLastStoredSliceWithOneMarkedGapAndOverwritesNothing(@TempDir Path dir) throws Exception {
        try (Harness h = new Harness(dir, 4)) {
            for (long seq = 0; seq < 3; seq++) {
                h.store.put(key("s1", seq), "stored before by another replica " + seq);
            }
            StreamPublished p = Harness.published("s1");
            h.recorder.own(p);
            awaitSlices(h, 2);
            h.recorder.end(p).get(10, TimeUnit.SECONDS);

            assertThat(h.pulls.firstSeqs).containsExactly(3L);
            List<SliceStored> slices = h.events.slices();
            assertThat(slices.get(0).seq()).isEqualTo(3);
            assertThat(slices.get(0).discontinuity()).isTrue();
            assertThat(slices.get(0).gapMillis()).as("the previous slice was stored about 5 s before").isBetween(4000L, 60_000L);
            assertThat(slices.subList(1, slices.size())).noneMatch(SliceStored::discontinuity);
            for (long seq = 0; seq < 3; seq++) {
                assertThat(new String(h.store.objects.get(key("s1", seq)))).startsWith("stored before");
            }
            assertThat(h.events.closes()).singleElement().satisfies(c -> assertThat(c.slices()).isEqualTo(3 + slices.size()));
        }
    }

    @Test
    void aHandoverStoresAndAnnouncesTheCurrentSliceAndEndsNothing(@TempDir Path dir) throws Exception {
        try (Harness h = new Harness(dir, 4)) {
            h.pulls.free = false;
            StreamPublished p = Harness.published("s1");
            h.recorder.own(p);
            h.pulls.permits.release(2);
            awaitSlices(h, 2);
            h.recorder.handover(p).get(10, TimeUnit.SECONDS);

            assertThat(h.events.slices()).extracting(SliceStored::seq).containsExactly(0L, 1L, 2L);
            assertThat(h.events.closes()).as("a handover is not the end of the recording").isEmpty();
            assertThat(h.recorder.recording("s1")).isFalse();

            // The next owner (here the same replica again) continues after slice 2.
            h.recorder.own(p);
            h.pulls.permits.release(1);
            awaitSlices(h, 4);
            assertThat(h.pulls.firstSeqs).containsExactly(0L, 3L);
        }
    }

    @Test
    void aRepeatedPublishStartsNoSecondPull(@TempDir Path dir) throws Exception {
        try (Harness h = new Harness(dir, 4)) {
            StreamPublished p = Harness.published("s1");
            h.recorder.own(p);
            h.recorder.own(p);
            awaitSlices(h, 2);
            h.recorder.end(p).get(10, TimeUnit.SECONDS);
            h.recorder.own(p);
            assertThat(h.pulls.opened).hasSize(1);
            assertThat(h.recorder.end(p)).as("a late repeat of the end").isCompleted();
            assertThat(h.events.closes()).hasSize(1);
        }
    }

    @Test
    void aStorageOutageDelaysUploadsAndLosesNothing(@TempDir Path dir) throws Exception {
        try (Harness h = new Harness(dir, 4)) {
            StreamPublished p = Harness.published("s1");
            h.recorder.own(p);
            awaitSlices(h, 1);
            h.store.failNext.set(200);
            long during = h.events.slices().size();
            Thread.yield();
            h.recorder.end(p).get(20, TimeUnit.SECONDS);

            List<SliceStored> slices = h.events.slices();
            assertThat(h.registry.counter("tapedeck.recorder.upload.failures").count()).isGreaterThanOrEqualTo(100);
            assertThat(slices.size()).isGreaterThan((int) during);
            assertThat(slices).extracting(SliceStored::seq).containsExactlyElementsOf(LongStream.range(0, slices.size()).boxed().toList());
            assertThat(h.store.objects).hasSize(slices.size());
            assertThat(h.events.closes()).singleElement().satisfies(c -> assertThat(c.reason()).isEqualTo(RecordingClosed.Reason.UNPUBLISHED));
        }
    }

    @Test
    void aSliceThatWouldOverwriteDifferentContentIsKeptInQuarantineAndTheCloseSaysSo(@TempDir Path dir) throws Exception {
        try (Harness h = new Harness(dir, 4)) {
            h.pulls.free = false;
            StreamPublished p = Harness.published("s1");
            h.recorder.own(p);
            await(() -> h.pulls.firstSeqs.size() == 1, "the pull started at slice 0");
            // Another writer stores slice 0 after this pull decided to start there.
            h.store.put(key("s1", 0), "someone else's slice 0");
            h.pulls.permits.release(1);
            await(() -> h.registry.counter("tapedeck.recorder.slice.conflicts").count() == 1, "slice 0 conflicted");
            h.recorder.end(p).get(10, TimeUnit.SECONDS);

            assertThat(new String(h.store.objects.get(key("s1", 0)))).isEqualTo("someone else's slice 0");
            assertThat(dir.resolve(".quarantine/s1/source/000000.flv")).exists();
            assertThat(h.events.slices()).as("only the slice after the hole, marked").singleElement()
                    .satisfies(s -> assertThat(s.seq()).isEqualTo(1)).satisfies(s -> assertThat(s.discontinuity()).isTrue());
            assertThat(h.events.closes()).singleElement().satisfies(c -> {
                assertThat(c.reason()).isEqualTo(RecordingClosed.Reason.UNPUBLISHED);
                assertThat(c.message()).contains("quarantine");
            });
        }
    }

    @Test
    void slicesLeftInTheSpoolAreUploadedFirstAndAResumeCountsThem(@TempDir Path dir) throws Exception {
        try (Harness before = new Harness(dir, 4)) {
            StreamPublished p = Harness.published("s1");
            before.pulls.eofAfter = 2;
            before.pulls.free = false;
            before.recorder.own(p);
            await(() -> before.pulls.firstSeqs.size() == 1, "the pull started");
            before.store.failNext.set(Integer.MAX_VALUE);
            before.pulls.permits.release(2);
            await(() -> before.spool.count() == 2, "two slices spooled");
        }
        // A new process on the same spool: the two slices are still there.
        try (Harness after = new Harness(dir, 4)) {
            var left = after.spool.recover();
            assertThat(left).extracting(e -> e.seq()).containsExactly(0L, 1L);
            left.forEach(after.uploader::upload);
            StreamPublished p = Harness.published("s1");
            after.pulls.eofAfter = 1;
            after.recorder.own(p);
            await(() -> after.pulls.firstSeqs.size() == 1, "the resumed pull started");
            after.recorder.end(p).get(10, TimeUnit.SECONDS);
            assertThat(after.events.slices()).extracting(SliceStored::seq).containsExactly(0L, 1L, 2L);
            assertThat(after.pulls.firstSeqs).as("the resume counts the spooled slices").containsExactly(2L);
            assertThat(after.events.slices().get(2).discontinuity()).isTrue();
        }
    }

    @Test
    void aStreamThatEndedWhileNoReplicaHeldItIsClosedFromWhatIsStoredWithoutAPull(@TempDir Path dir) throws Exception {
        try (Harness h = new Harness(dir, 4)) {
            h.store.put(key("s1", 0), "a");
            h.store.put(key("s1", 1), "b");
            h.recorder.end(Harness.published("s1")).get(10, TimeUnit.SECONDS);
            assertThat(h.pulls.opened).isEmpty();
            assertThat(h.events.closes()).singleElement().satisfies(c -> {
                assertThat(c.lastSeq()).isEqualTo(1);
                assertThat(c.slices()).isEqualTo(2);
                assertThat(c.reason()).isEqualTo(RecordingClosed.Reason.UNPUBLISHED);
            });
        }
    }

    @Test
    void aStreamBeyondTheCapWaitsForAFreePullAndCanBeHandedOverWhileWaiting(@TempDir Path dir) throws Exception {
        try (Harness h = new Harness(dir, 1)) {
            StreamPublished a = Harness.published("s1");
            StreamPublished b = Harness.published("s2");
            h.recorder.own(a);
            h.recorder.own(b);
            awaitSlices(h, 1);
            assertThat(h.recorder.waiting()).isEqualTo(1);
            assertThat(h.pulls.opened).hasSize(1);
            h.recorder.handover(b).get(5, TimeUnit.SECONDS);
            assertThat(h.recorder.waiting()).isZero();
            h.recorder.end(a).get(10, TimeUnit.SECONDS);
            assertThat(h.pulls.opened).as("the handed-over stream never pulled here").hasSize(1);
        }
    }

    @Test
    void aPullThatCannotReachTheMediaServerTriesAgainUntilTheIdleTimeoutThenClosesTheRecording(@TempDir Path dir) throws Exception {
        try (Harness h = new Harness(dir, 4, new Harness.MemoryStore(), Duration.ofMillis(400))) {
            h.pulls.fail = true;
            StreamPublished p = Harness.published("s1");
            h.recorder.own(p);
            await(() -> !h.events.closes().isEmpty(), "the recording closed");
            assertThat(h.pulls.opened.size()).as("opened again while the idle timeout lasted").isGreaterThan(2);
            assertThat(h.events.closes()).singleElement().satisfies(c -> {
                assertThat(c.reason()).isEqualTo(RecordingClosed.Reason.IDLE_TIMEOUT);
                assertThat(c.message()).contains("rtmp://media/live/a").contains("Connection refused");
                assertThat(c.lastSeq()).isEqualTo(-1);
                assertThat(c.endings()).as("every failed attempt counted in one ending, then the idle timeout").hasSize(2);
                assertThat(c.endings().get(0)).satisfies(e -> {
                    assertThat(e.reason()).isEqualTo(RecordingClosed.Reason.FAILED);
                    assertThat(e.reopened()).isTrue();
                    assertThat(e.detail()).contains("Connection refused");
                    assertThat(e.count()).isEqualTo(h.pulls.opened.size() - 1);
                });
                assertThat(c.endings().get(1).reason()).isEqualTo(RecordingClosed.Reason.IDLE_TIMEOUT);
                assertThat(c.endings().get(1).reopened()).isFalse();
            });
        }
    }

    @Test
    void aStreamWhoseInputEndsWithoutAnUnpublishIsOpenedAgainAndContinuesWithAMarkedSlice(@TempDir Path dir) throws Exception {
        try (Harness h = new Harness(dir, 4)) {
            h.pulls.eofAfter = 2;
            StreamPublished p = Harness.published("s1");
            h.recorder.own(p);
            await(() -> h.events.slices().size() >= 5, "slices across reconnects");
            h.recorder.end(p).get(10, TimeUnit.SECONDS);

            assertThat(h.pulls.firstSeqs).as("each pull continues the sequence").startsWith(0L, 2L, 4L);
            assertThat(h.events.slices()).extracting(s -> s.seq()).startsWith(0L, 1L, 2L, 3L, 4L);
            assertThat(h.events.slices()).filteredOn(s -> s.seq() == 2 || s.seq() == 4).allMatch(s -> s.discontinuity());
            assertThat(h.events.slices()).filteredOn(s -> s.seq() == 1 || s.seq() == 3).noneMatch(s -> s.discontinuity());
            assertThat(h.events.slices()).filteredOn(s -> s.seq() == 2).singleElement()
                    .satisfies(s -> assertThat(s.media().discontinuityCause()).isEqualTo("RECONNECTED"));
            assertThat(h.events.closes()).singleElement().satisfies(c -> {
                assertThat(c.reason()).isEqualTo(RecordingClosed.Reason.UNPUBLISHED);
                assertThat(c.gaps()).as("each reconnect, in the close").extracting(RecordingClosed.Gap::seq).startsWith(2L, 4L);
                assertThat(c.gaps()).allMatch(g -> g.cause().equals("RECONNECTED") && g.fromTime() != null && g.toTime() != null);
                assertThat(c.gaps().get(0).fromDtsMillis()).as("where slice 1 ended").isEqualTo(2000);
                assertThat(c.endings()).as("which close reasons ended the input: two reopened ends of input, then the unpublish")
                        .extracting(RecordingClosed.Ending::reason, RecordingClosed.Ending::reopened, RecordingClosed.Ending::afterSeq)
                        .startsWith(org.assertj.core.groups.Tuple.tuple(RecordingClosed.Reason.END_OF_INPUT, true, 1L),
                                org.assertj.core.groups.Tuple.tuple(RecordingClosed.Reason.END_OF_INPUT, true, 3L));
                assertThat(c.endings().get(c.endings().size() - 1)).satisfies(e -> {
                    assertThat(e.reason()).isEqualTo(RecordingClosed.Reason.UNPUBLISHED);
                    assertThat(e.reopened()).isFalse();
                    assertThat(e.afterSeq()).isEqualTo(c.lastSeq());
                });
            });
            assertThat(h.registry.counter("tapedeck.recorder.pull.reconnects").count()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void aStreamWithoutMediaAndWithoutAnUnpublishClosesByTheIdleTimeout(@TempDir Path dir) throws Exception {
        try (Harness h = new Harness(dir, 4, new Harness.MemoryStore(), Duration.ofMillis(300))) {
            h.pulls.eofAfter = 2;
            h.pulls.silentAfterEof = true;
            StreamPublished p = Harness.published("s1");
            h.recorder.own(p);
            await(() -> !h.events.closes().isEmpty(), "the recording closed");
            assertThat(h.events.slices()).hasSize(2);
            assertThat(h.events.closes()).singleElement().satisfies(c -> {
                assertThat(c.reason()).isEqualTo(RecordingClosed.Reason.IDLE_TIMEOUT);
                assertThat(c.reason().isFinal()).isTrue();
                assertThat(c.lastSeq()).isEqualTo(1);
                assertThat(c.endings()).extracting(RecordingClosed.Ending::reason)
                        .containsExactly(RecordingClosed.Reason.END_OF_INPUT, RecordingClosed.Reason.IDLE_TIMEOUT);
            });
        }
    }

    @Test
    void afterAnUnpublishAQuietPullStopsWithoutWaitingOutTheGrace(@TempDir Path dir) throws Exception {
        try (Harness h = new Harness(dir, 4)) {
            h.pulls.eofAfter = 1;
            h.pulls.silentAfterEof = true;
            StreamPublished p = Harness.published("s1");
            h.recorder.own(p);
            await(() -> h.events.slices().size() == 1, "a slice, then silence (players kept connected)");
            long began = System.nanoTime();
            h.recorder.end(p).get(10, TimeUnit.SECONDS);
            assertThat((System.nanoTime() - began) / 1_000_000).as("ends within the drain quiet, not a read timeout").isLessThan(2_000);
            assertThat(h.events.closes()).singleElement().satisfies(c -> assertThat(c.reason()).isEqualTo(RecordingClosed.Reason.UNPUBLISHED));
        }
    }
}
