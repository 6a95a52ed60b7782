package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The recorder pool with a standby per stream (redundancy 2, the default), on the real stack with three replicas: killing
 * the owner of a live stream loses nothing of it, killing its standby changes nothing (the third replica stands by in its
 * place), and killing every replica at once loses only the time until the restarted pool resumes, and one GOP.
 */
@Order(6)
@Execution(ExecutionMode.SAME_THREAD) // it bounds the takeover and the resume, and a replay's duration to a frame
class StandbyRecorderIT extends StackTest {
    /** This class's stack, and its files (kept when a test fails, so the services' logs under {@code logs/} can be read). */
    static Stack stack;
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path data;

    static final Duration SLICE = Duration.ofSeconds(4);
    /** Killed after the owner's second slice (about 9 s in), and slices after the takeover. */
    static final int SECONDS = 26;
    static final int FPS = 30;
    /** What the publisher sends: {@link #SECONDS} at {@link #FPS}. */
    static final long PUBLISHED_FRAMES = (long) SECONDS * FPS;
    /** The publisher's keyframe interval. */
    static final long GOP_MILLIS = 1000;

    @BeforeAll
    static void start() throws Exception {
        // Its own stack: it kills recorders. A pull is at risk for 2 s after it begins, so the standby begins 2 s in.
        stack = startStack(data, s -> s.transcode(false).sliceLength(SLICE).recorders(3).env("TAPEDECK_RECORDER_REDUNDANCY", "2")
                .env("TAPEDECK_RECORDER_CRASH_WINDOW", "2s"));
    }

    @AfterEach
    void poolHealsBeforeTheNextTest() throws Exception {
        ReplayCheck.awaitPoolReady(stack, Duration.ofSeconds(90));
    }

    @Test
    void killingTheOwnerLosesNothingTheStandbyContinuesItsSlices() throws Exception {
        try (LiveStream live = new LiveStream(stack, data, "owner", SECONDS)) {
            StreamPublished published = live.published;
            int owner = live.holderAfterSlice(1);
            int standby = ReplayCheck.awaitStandby(stack, published.streamKey(), owner, Duration.ofSeconds(20));
            long seqBefore = live.lastSeq();

            long killed = System.nanoTime();
            // Restarted at once, as a container is: it salvages the slice it was writing while its standby takes over.
            stack.recorders().get(owner).kill();
            int holder = ReplayCheck.awaitHolder(stack, published.streamKey(), owner, Duration.ofSeconds(30));
            long takeoverMillis = (System.nanoTime() - killed) / 1_000_000;
            assertThat(holder).as("the standby takes the stream over").isEqualTo(standby);
            int next = ReplayCheck.awaitStandby(stack, published.streamKey(), holder, Duration.ofSeconds(30));
            long newStandbyMillis = (System.nanoTime() - killed) / 1_000_000;

            live.awaitPublisher();
            ReplayCheck.Result r = ReplayCheck.check(stack, published.recordingId(), 0);
            SliceStored firstTaken = r.slices().stream().filter(s -> s.seq() > seqBefore).findFirst().orElseThrow();
            long frames = ReplayCheck.videoFrames(stack, published.recordingId());
            assertThat(frames).as("the replay holds what was published, to a frame").isCloseTo(PUBLISHED_FRAMES, org.assertj.core.data.Offset.offset(1L));
            System.out.printf(Locale.ROOT, "[kill -9 of the owner, recorder-%d] standby recorder-%d took over after %d ms, continuing at slice %d;"
                    + " recorder-%d stands by again after %d ms; replay %.3f s, %d of %d frames, no gap%n", owner + 1, standby + 1, takeoverMillis,
                    firstTaken.seq(), next + 1, newStandbyMillis, r.replaySeconds(), frames, PUBLISHED_FRAMES);
        }
    }

    @Test
    void killingTheStandbyChangesNothingAndANewOneIsChosen() throws Exception {
        try (LiveStream live = new LiveStream(stack, data, "standby", SECONDS)) {
            StreamPublished published = live.published;
            int owner = live.holderAfterSlice(1);
            int standby = ReplayCheck.awaitStandby(stack, published.streamKey(), owner, Duration.ofSeconds(20));

            long killed = System.nanoTime();
            stack.recorders().get(standby).kill();
            int next = ReplayCheck.awaitStandby(stack, published.streamKey(), owner, Duration.ofSeconds(30));
            long newStandbyMillis = (System.nanoTime() - killed) / 1_000_000;
            assertThat(ReplayCheck.holder(stack, published.streamKey()).orElseThrow()).as("the owner still records it").isEqualTo(owner);

            live.awaitPublisher();
            ReplayCheck.Result r = ReplayCheck.check(stack, published.recordingId(), 0);
            long frames = ReplayCheck.videoFrames(stack, published.recordingId());
            assertThat(frames).as("the replay holds what was published, to a frame").isCloseTo(PUBLISHED_FRAMES, org.assertj.core.data.Offset.offset(1L));
            System.out.printf(Locale.ROOT, "[kill -9 of the standby, recorder-%d] recorder-%d stands by again after %d ms; replay %.3f s,"
                    + " %d of %d frames, no gap%n", standby + 1, next + 1, newStandbyMillis, r.replaySeconds(), frames, PUBLISHED_FRAMES);
        }
    }

    @Test
    void killingEveryReplicaLosesOnlyTheTimeUntilTheRestartedPoolResumes() throws Exception {
        // Long enough that three replicas restarting at once on a busy machine find the stream still live.
        int seconds = 90;
        long publishedFrames = (long) seconds * FPS;
        try (LiveStream live = new LiveStream(stack, data, "every", seconds)) {
            StreamPublished published = live.published;
            int owner = live.holderAfterSlice(1);
            ReplayCheck.awaitStandby(stack, published.streamKey(), owner, Duration.ofSeconds(20));

            Instant killed = Instant.now();
            stack.recorders().forEach(ServiceProcess::kill);
            // When each restarted replica answers ready, and when one of them receives the stream's media again.
            Instant[] ready = new Instant[stack.recorders().size()];
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            Optional<ReplayCheck.Resumed> resumed = Optional.empty();
            while (resumed.isEmpty()) {
                assertThat(System.nanoTime()).as("a restarted replica resumes the stream within 60 s (ready: %s)", java.util.Arrays.toString(ready))
                        .isLessThan(deadline);
                for (int i = 0; i < ready.length; i++) {
                    if (ready[i] == null && stack.recorders().get(i).startedAt().isAfter(killed)
                            && StackTest.status(stack.recorderUrl(i) + "/q/health/ready") == 200) {
                        ready[i] = Instant.now();
                    }
                }
                resumed = ReplayCheck.resumed(stack, published.streamKey()).filter(r -> r.at().isAfter(killed));
                Thread.sleep(50);
            }
            ReplayCheck.Resumed on = resumed.get();
            ServiceProcess h = stack.recorders().get(on.replica());
            Instant readyAt = ready[on.replica()] == null ? on.at() : ready[on.replica()];
            long startMillis = Duration.between(h.startedAt(), readyAt).toMillis();
            long resumeMillis = Duration.between(readyAt, on.at()).toMillis();
            long awayMillis = Duration.between(killed, on.at()).toMillis();

            live.awaitPublisher();
            ReplayCheck.Result r = ReplayCheck.check(stack, published.recordingId(), 1);
            long frames = ReplayCheck.videoFrames(stack, published.recordingId());
            long lostMillis = (publishedFrames - frames) * 1000 / FPS;
            assertThat(lostMillis).as("media lost: at most the %d ms from the kill to the resume and one GOP", awayMillis)
                    .isLessThanOrEqualTo(awayMillis + GOP_MILLIS);
            System.out.printf(Locale.ROOT, "[kill -9 of every recorder] recorder-%d started in %d ms and resumed %d ms after it was ready,"
                    + " %d ms after the kill; lost %d ms of media (%d of %d frames; marked gap %d ms)%n", on.replica() + 1, startMillis,
                    resumeMillis, awayMillis, lostMillis, publishedFrames - frames, publishedFrames, r.gaps().get(0));
        }
    }
}
