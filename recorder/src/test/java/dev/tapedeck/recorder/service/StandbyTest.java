package dev.tapedeck.recorder.service;

import static dev.tapedeck.recorder.service.RecorderServiceTest.await;
import static dev.tapedeck.recorder.service.RecorderServiceTest.key;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.recorder.media.SliceFile;
import dev.tapedeck.recorder.spool.SpoolEntry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A standby beside the owner, and what it uploads when it takes over: on fakes, two replicas sharing one bucket and one stream. */
class StandbyTest {

    /** Finishes slice {@code n} of the shared stream and waits until the pulls had time to see it. */
    static void advance(AtomicLong live, long n) throws InterruptedException {
        live.set(n);
        Thread.sleep(20);
    }

    static String stored(Harness h, String id, long seq) {
        byte[] b = h.store.objects.get(key(id, seq));
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void whenTheOwnerDiesTheStandbyUploadsTheSlicesItKeptUnderTheNextNumbersWithoutAGap(@TempDir Path dir) throws Exception {
        AtomicLong live = new AtomicLong(-1);
        Harness.MemoryStore bucket = new Harness.MemoryStore();
        try (Harness owner = new Harness(dir.resolve("a"), 4, bucket); Harness standby = new Harness(dir.resolve("b"), 4, bucket)) {
            owner.pulls.live = live;
            standby.pulls.live = live;
            StreamPublished p = Harness.published("s1");
            owner.recorder.own(p);
            await(() -> owner.pulls.joined.size() >= 1, "the owner pulls");
            advance(live, 0);
            advance(live, 1);
            // The standby joins two slices in: its own numbers are two behind the recording's.
            standby.recorder.standby(p);
            await(() -> standby.pulls.joined.size() >= 1, "the standby pulls");
            for (long n = 2; n <= 4; n++) {
                advance(live, n);
            }
            await(() -> owner.events.slices().size() == 5, "the owner stored 0..4");
            assertThat(standby.events.all).as("a standby uploads nothing while the owner lives").isEmpty();
            assertThat(standby.recorder.standbys()).hasSize(1);

            owner.kill(); // in slice 5
            advance(live, 5);
            advance(live, 6);
            standby.recorder.own(p);
            await(() -> standby.events.slices().size() == 2, "the standby stored 5 and 6");
            advance(live, 7);
            await(() -> standby.events.slices().size() == 3, "and goes on with 7");
            standby.recorder.end(p).get(10, TimeUnit.SECONDS);

            List<SliceStored> taken = standby.events.slices();
            assertThat(taken).extracting(SliceStored::seq).startsWith(5L, 6L, 7L);
            assertThat(taken).extracting(SliceStored::firstDtsMillis).startsWith(5000L, 6000L, 7000L);
            assertThat(taken).as("it continues the stored slices: no discontinuity").noneMatch(SliceStored::discontinuity);
            for (long n = 0; n <= 7; n++) {
                assertThat(stored(owner, p.recordingId(), n)).as("slice %d", n).isEqualTo(Harness.liveSlice(n));
            }
            RecordingClosed closed = standby.events.closes().get(0);
            assertThat(closed.lastSeq()).isEqualTo(taken.get(taken.size() - 1).seq());
            assertThat(closed.gaps()).isEmpty();
            assertThat(standby.spool.count()).isZero();
            assertThat(Files.exists(standby.spool.standbyDirOf(p.recordingId(), "source"))).as("the standby's directory is gone").isFalse();
        }
    }

    @Test
    void theHalfSliceADeadOwnerSalvagesAfterItsStandbyTookOverWaitsForTheStandbysWholeCopy(@TempDir Path dir) throws Exception {
        AtomicLong live = new AtomicLong(-1);
        Harness.MemoryStore bucket = new Harness.MemoryStore();
        try (Harness owner = new Harness(dir.resolve("a"), 4, bucket); Harness standby = new Harness(dir.resolve("b"), 4, bucket)) {
            owner.pulls.live = live;
            standby.pulls.live = live;
            StreamPublished p = Harness.published("s4");
            owner.recorder.own(p);
            standby.recorder.standby(p);
            await(() -> owner.pulls.joined.size() >= 1 && standby.pulls.joined.size() >= 1, "both pull");
            advance(live, 0);
            advance(live, 1);
            await(() -> owner.events.slices().size() == 2, "the owner stored 0 and 1");
            Instant crash = Instant.now();
            owner.kill(); // in slice 2, of which its restart salvages 400 ms
            standby.recorder.own(p);
            await(() -> bucket.notes.containsKey(dev.tapedeck.contract.StorageKeys.recorderTakeover(p.recordingId(), "source")),
                    "the standby notes its takeover");

            // The owner's replica restarts: what it salvages of slice 2 is held back while the standby writes its copy.
            try (Harness restarted = new Harness(dir.resolve("a-restarted"), 4, bucket)) {
                restarted.spool.begin(new dev.tapedeck.recorder.spool.SpoolSession(p.recordingId(), p.sessionId(), p.sourceStreamKey(),
                        "source", 2, false));
                Path half = dir.resolve("half.flv");
                Files.writeString(half, Harness.liveSlice(2) + " (400 ms of it)");
                SliceFile f = new SliceFile(2, half, 2000, 2367, 400, 1, crash);
                SpoolEntry salvaged = restarted.spool.commit(new SpoolEntry(p.recordingId(), p.sessionId(), p.sourceStreamKey(), "source", 2,
                        2000, 2367, 400, 1, false, 0, crash, Instant.now(), f.media()), f);
                assertThat(SalvageHold.takenOverSince(bucket, salvaged)).as("a takeover after the crash").isTrue();
                SalvageHold.uploadAfterTheStandby(salvaged, bucket, restarted.uploader, Duration.ofSeconds(30));

                advance(live, 2);
                advance(live, 3);
                await(() -> standby.events.slices().size() == 2, "the standby stored 2 and 3");
                await(() -> restarted.spool.count() == 0, "the half is settled");
                assertThat(stored(owner, p.recordingId(), 2)).as("the whole slice 2 is stored").isEqualTo(Harness.liveSlice(2));
                assertThat(restarted.events.all).as("the half is superseded: never announced").isEmpty();
                assertThat(standby.events.slices()).noneMatch(SliceStored::discontinuity);
                assertThat(standby.metrics.registry().find("tapedeck.recorder.slice.conflicts").counters()).allMatch(c -> c.count() == 0);
            }
            standby.recorder.end(p).get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aStandbyWhoseSliceOverlapsWhatTheOwnerStoredUploadsItsRestAndMarksTheGap(@TempDir Path dir) throws Exception {
        AtomicLong live = new AtomicLong(-1);
        Harness.MemoryStore bucket = new Harness.MemoryStore();
        try (Harness owner = new Harness(dir.resolve("a"), 4, bucket); Harness standby = new Harness(dir.resolve("b"), 4, bucket)) {
            owner.pulls.live = live;
            standby.pulls.live = live;
            StreamPublished p = Harness.published("s2");
            owner.recorder.own(p);
            standby.recorder.standby(p);
            await(() -> owner.pulls.joined.size() >= 1 && standby.pulls.joined.size() >= 1, "both pull");
            advance(live, 0);
            advance(live, 1);
            await(() -> owner.events.slices().size() == 2, "the owner stored 0 and 1");
            // The owner lets go in slice 2: it stores what it has of it (400 ms), which the standby's slice 2 overlaps (as
            // does the half a killed owner salvages and stores when it restarts before the pool noticed its death).
            owner.recorder.handover(p).get(10, TimeUnit.SECONDS);
            assertThat(owner.events.slices()).extracting(SliceStored::durationMillis).containsExactly(1000L, 1000L, 400L);
            standby.recorder.own(p);
            advance(live, 2);
            advance(live, 3);
            await(() -> standby.events.slices().size() == 2, "the standby stored the rest of slice 2 and slice 3 of the stream");
            standby.recorder.end(p).get(10, TimeUnit.SECONDS);

            SliceStored first = standby.events.slices().get(0);
            assertThat(first.seq()).as("the number after the owner's last").isEqualTo(3);
            assertThat(first.firstDtsMillis()).as("its first keyframe after the stored 400 ms").isEqualTo(2400);
            assertThat(stored(owner, p.recordingId(), 3)).isEqualTo(Harness.liveSlice(2) + " from 2400 ms");
            assertThat(first.discontinuity()).as("the gap is marked").isTrue();
            assertThat(stored(owner, p.recordingId(), 2)).as("nothing overwritten").endsWith("(400 ms of it)");
            assertThat(owner.metrics.registry().find("tapedeck.recorder.slice.conflicts").counters()).isNotEmpty().allMatch(c -> c.count() == 0);
        }
    }

    @Test
    void aStandbyThatIsDroppedUploadsNothingAndLeavesNothing(@TempDir Path dir) throws Exception {
        AtomicLong live = new AtomicLong(-1);
        try (Harness standby = new Harness(dir, 4)) {
            standby.pulls.live = live;
            StreamPublished p = Harness.published("s3");
            standby.recorder.standby(p);
            await(() -> standby.pulls.joined.size() >= 1, "the standby pulls");
            for (long n = 0; n <= 5; n++) {
                advance(live, n);
            }
            Path kept = standby.spool.standbyDirOf(p.recordingId(), "source");
            await(() -> countFiles(kept) == 3, "it keeps the last 3 slices");
            standby.recorder.dropStandby(p.sessionId());
            await(() -> standby.recorder.standbys().isEmpty(), "the standby stops");
            await(() -> !Files.exists(kept), "its directory goes");
            assertThat(standby.events.all).isEmpty();
            assertThat(standby.store.objects).isEmpty();
        }
    }

    @Test
    void streamsOfAnAppWithoutStandbysGetNone(@TempDir Path dir) throws Exception {
        AtomicLong live = new AtomicLong(-1);
        try (Harness standby = new Harness(dir, 4, new Harness.MemoryStore(), Duration.ofSeconds(30), Set.of("cheap"))) {
            standby.pulls.live = live;
            StreamPublished cheap = Harness.published("cheap", "c1", "x");
            StreamPublished cheapRung = new StreamPublished("__defaultVhost__/cheap-abr/x_360p", "__defaultVhost__", "cheap-abr",
                    "x_360p", "c2", "c1", true, cheap.streamKey(), "360p", "nginx-rtmp", null, "2", "127.0.0.1", null, Instant.now());
            StreamPublished other = Harness.published("live", "l1", "y");
            standby.recorder.standby(cheap);
            standby.recorder.standby(cheapRung);
            standby.recorder.standby(other);
            await(() -> standby.pulls.joined.size() >= 1, "the standby of live/y pulls");
            assertThat(standby.recorder.standbys()).extracting(s -> s.published().sessionId()).containsExactly("l1");
            assertThat(standby.pulls.joined).as("pulls opened").hasSize(1);
        }
    }

    private static long countFiles(Path dir) {
        try (var s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".flv.part")).count();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    static java.util.TreeMap<Long, Long> open(long seq, long firstDts) {
        return new java.util.TreeMap<>(java.util.Map.of(seq, firstDts));
    }

    static SliceFile slice(long seq, long firstDts, long duration) {
        return new SliceFile(seq, Path.of(seq + ".flv.part"), firstDts, firstDts + duration - 33, duration, 1, Instant.now());
    }

    @Test
    void thePlanUploadsTheKeptSlicesFromTheEndOfWhatIsStored() {
        List<SliceFile> kept = List.of(slice(3, 3000, 1000), slice(4, 4000, 1000), slice(5, 5000, 1000));
        // Stored 0..8 (the owner's numbers), ending at 5000: kept 5 is the owner's 9.
        StandbyRing.Plan plan = StandbyRing.plan(9, 5000L, kept, open(6, 6000), 7);
        assertThat(plan.upload()).extracting(SliceFile::seq).containsExactly(5L);
        assertThat(plan.drop()).extracting(SliceFile::seq).containsExactly(3L, 4L);
        assertThat(plan.shift()).isEqualTo(4);
        assertThat(plan.seamless()).isTrue();
        assertThat(plan.cutOpen()).isFalse();
        assertThat(plan.dropThrough()).isEqualTo(-1);

        // Everything kept is stored; the slice being written begins where the stored ones end.
        plan = StandbyRing.plan(12, 6000L, kept, open(6, 6000), 7);
        assertThat(plan.upload()).isEmpty();
        assertThat(plan.shift()).as("own 6 is the recording's 12").isEqualTo(6);
        assertThat(plan.seamless()).isTrue();

        // The stored ones end inside the slice being written (the dead owner stored part of it): its rest, from its
        // next keyframe, is the recording's 12, after a marked gap shorter than a GOP.
        plan = StandbyRing.plan(12, 6400L, kept, open(6, 6000), 7);
        assertThat(plan.trimOwn()).isEqualTo(6);
        assertThat(plan.trimFrom()).isEqualTo(6400);
        assertThat(plan.cutOpen()).isFalse();
        assertThat(plan.dropThrough()).isEqualTo(-1);
        assertThat(plan.shift()).as("own 6 is the recording's 12").isEqualTo(6);
        assertThat(plan.seamless()).isFalse();
        // ... or inside a kept one.
        plan = StandbyRing.plan(11, 4400L, kept, open(6, 6000), 7);
        assertThat(plan.trimOwn()).isEqualTo(4);
        assertThat(plan.upload()).extracting(SliceFile::seq).containsExactly(4L, 5L);
        assertThat(plan.drop()).extracting(SliceFile::seq).containsExactly(3L);
        assertThat(plan.shift()).isEqualTo(7);

        // The slice that follows what is stored still gathers its last audio while the next one is written: it is
        // not kept yet, and continues the recording when it finishes.
        List<SliceFile> older = kept.subList(0, 2);
        java.util.TreeMap<Long, Long> closing = new java.util.TreeMap<>(java.util.Map.of(5L, 5000L, 6L, 6000L));
        plan = StandbyRing.plan(9, 5000L, older, closing, 7);
        assertThat(plan.upload()).isEmpty();
        assertThat(plan.drop()).extracting(SliceFile::seq).containsExactly(3L, 4L);
        assertThat(plan.shift()).as("own 5 is the recording's 9").isEqualTo(4);
        assertThat(plan.seamless()).isTrue();
        assertThat(plan.dropThrough()).isEqualTo(-1);
        assertThat(plan.cutOpen()).isFalse();
        // What is stored ends inside the closing one: its rest follows.
        plan = StandbyRing.plan(9, 5500L, older, closing, 7);
        assertThat(plan.trimOwn()).isEqualTo(5);
        assertThat(plan.dropThrough()).isEqualTo(-1);
        assertThat(plan.cutOpen()).isFalse();
        assertThat(plan.shift()).as("own 5 is the recording's 9").isEqualTo(4);
        assertThat(plan.seamless()).isFalse();

        // Kept slices after a gap in what the standby saw (it joined late): the first is marked.
        plan = StandbyRing.plan(2, 2000L, kept, open(6, 6000), 7);
        assertThat(plan.upload()).extracting(SliceFile::seq).containsExactly(3L, 4L, 5L);
        assertThat(plan.seamless()).isFalse();

        // Nothing stored: everything kept is the recording from its start.
        plan = StandbyRing.plan(0, null, kept, open(6, 6000), 7);
        assertThat(plan.upload()).hasSize(3);
        assertThat(plan.shift()).isEqualTo(-3);

        // Stored slices of unknown extent: nothing kept can be placed after them.
        plan = StandbyRing.plan(9, null, kept, open(6, 6000), 7);
        assertThat(plan.upload()).isEmpty();
        assertThat(plan.cutOpen()).isTrue();
    }
}
