package dev.tapedeck.recorder.service;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.recorder.media.MediaPull;
import dev.tapedeck.recorder.media.SliceFile;
import dev.tapedeck.recorder.media.StreamEnd;
import dev.tapedeck.recorder.spool.Retrier;
import dev.tapedeck.recorder.spool.SpoolEntry;
import dev.tapedeck.recorder.spool.SpoolSession;
import dev.tapedeck.recorder.spool.Uploader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Records one rendition of one session on this replica: finds where the recording stands (resume), pulls,
 * spools each finished slice and queues its upload. It ends in one of two ways: the stream ended (an
 * unpublish, the end of input, a failure), which queues RecordingClosed behind its uploads; or the stream
 * was handed over to another replica, which announces its last slice and nothing that ends the recording.
 */
public final class RecordingSession implements Runnable {
    private static final Logger LOG = Logger.getLogger(RecordingSession.class);

    private final StreamPublished published;
    private final StreamKey source;
    private final RecorderContext ctx;
    private final boolean pull;
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private final List<CompletableFuture<Uploader.Result>> uploads = new ArrayList<>();
    private volatile long stopAtNanos = Long.MAX_VALUE;
    private volatile boolean unpublished;
    private volatile boolean handover;
    private volatile boolean running;
    private volatile boolean ended;
    private volatile long nextSeq = -1;
    private ResumePoint resume;
    private long recordedMillis;
    private long produced;
    private long lastSeq = -1;
    private long quarantinedSeen;
    /** Once unpublished, the pull stops after this long without a packet: what was in flight has arrived. */
    static final long DRAIN_QUIET_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(500);
    private volatile long lastMediaNanos;
    /** When this session's pull received its first packet (a resume after a restart: when the recording goes on). */
    private volatile java.time.Instant firstMediaAt;
    private volatile boolean afterReconnect;
    private long reconnects;
    private java.time.Instant lastSliceEndedAt;
    private long lastSliceEndDts = -1;
    private final List<RecordingClosed.Gap> gaps = new ArrayList<>();
    private final Map<String, Integer> timestampFaults = new java.util.TreeMap<>();
    /** Each end of the input in this session, in order: the ones it was opened again after, then the last. */
    private final List<RecordingClosed.Ending> endings = new ArrayList<>();
    /** The pull's crash guard, while it is at risk. */
    private PullGuard.Ticket ticket;
    /** Started as a standby: it pulls the stream beside its owner and keeps its last slices, uploading nothing. */
    private final boolean standby;
    /** The standby became the owner (the owner died, or the stream ended while this replica held it). */
    private volatile boolean promoted;
    /** The standby's pull began (after its gate): a promotion must take the kept slices over. */
    private boolean standbyPulling;
    /** The kept slices have been taken over: slices finish as the owner's from now on. */
    private boolean takenOver;
    private final CompletableFuture<Void> takeover = new CompletableFuture<>();
    private java.nio.file.Path standbyDir;
    private StandbyRing ring;
    private volatile MediaPull media;
    /** Add to a standby's own slice number to get the recording's. */
    private long shift;
    /** Own numbers up to this one are dropped after a takeover (they overlap what is stored). */
    private long dropThrough = -1;
    /** Own number of the slice in which what the dead owner stored ends: only its rest is uploaded; -1 for none. */
    private long trimOwn = -1;
    private long trimFrom;
    /** A standby's slices begun and not yet kept (own number → first DTS): the one being written, and one still closing. */
    private final java.util.TreeMap<Long, Long> unfinished = new java.util.TreeMap<>();
    private long nextOwnSeq;
    /** The first slice after a takeover continues the last stored one seamlessly: it is no discontinuity. */
    private boolean continuesStored;

    /**
     * @param pull false for a recording whose stream already ended while no replica held it: it is closed
     *             from what is stored, without pulling
     */
    RecordingSession(StreamPublished published, RecorderContext ctx, boolean pull) {
        this(published, ctx, pull, false);
    }

    /** @param standby pull beside the stream's owner, keeping the last slices and uploading nothing until {@link #promote} */
    RecordingSession(StreamPublished published, RecorderContext ctx, boolean pull, boolean standby) {
        this.standby = standby;
        this.published = published;
        this.source = StreamKey.parse(published.sourceStreamKey());
        this.ctx = ctx;
        this.pull = pull;
    }

    public StreamPublished published() {
        return published;
    }

    /** Completes when the pull ended and everything it queued (its slices, and RecordingClosed when it ended) is done. */
    public CompletableFuture<Void> finished() {
        return finished;
    }

    /** The stream ended: let in-flight media drain for {@code graceNanos}, then close the recording. */
    public void unpublished(long graceNanos) {
        unpublished = true;
        stopAtNanos = Math.min(stopAtNanos, System.nanoTime() + graceNanos);
    }

    /** Another replica takes the stream over: finish the current slice now and close nothing. */
    public void handover() {
        if (!unpublished) {
            handover = true;
        }
        stopAtNanos = System.nanoTime();
    }

    /** True once its recording was closed here (not handed over). */
    public boolean ended() {
        return ended;
    }

    /** True while it stands by (not, or not yet, the stream's owner). */
    public boolean standingBy() {
        return standby && !promoted;
    }

    /** True once it is the stream's owner after standing by. */
    public boolean promoted() {
        return promoted;
    }

    /**
     * This standby becomes the owner: its replica now holds the stream (its owner died, or the stream ended while no
     * other replica held it). Its kept slices that follow the last stored one are uploaded under the next numbers, and
     * its pull goes on as the owner's without a break. Called on the pool's thread; the takeover runs on its own.
     */
    public void promote() {
        boolean pulling;
        synchronized (this) {
            if (!standby || promoted) {
                return;
            }
            promoted = true;
            pulling = standbyPulling;
        }
        if (pulling) {
            Thread t = new Thread(this::takeOver, "takeover-" + published.rendition());
            t.setDaemon(true);
            t.start();
        }
    }

    /** True while its pull runs. */
    public boolean running() {
        return running;
    }

    /** When its pull received its first packet; null before. */
    public java.time.Instant firstMediaAt() {
        return firstMediaAt;
    }

    /** The next slice's sequence number, -1 until the pull started. */
    public long nextSeq() {
        return nextSeq;
    }

    @Override
    public void run() {
        mdc();
        try {
            if (handover) {
                LOG.infof("handed over before its pull started");
                finished.complete(null);
                return;
            }
            running = true;
            if (standby && standBy()) {
                return;
            }
            resume = ResumePoint.find(ctx, published, source, () -> handover);
            nextSeq = resume.nextSeq();
            RecordingClosed.Reason reason = null;
            String message = null;
            if (!pull) {
                reason = RecordingClosed.Reason.UNPUBLISHED;
                LOG.infof("the stream ended while no replica held it; closing the recording at slice %d", resume.nextSeq() - 1);
            } else {
                String url = url();
                LOG.infof("recording %s from %s, %s at slice %d", published.streamKey(), url,
                        resume.resumed() ? "resuming" : "starting", resume.nextSeq());
                try {
                    ctx.spool().begin(new SpoolSession(published.recordingId(), published.sessionId(), source.toString(),
                            published.rendition(), resume.nextSeq(), resume.resumed()));
                    ticket = ctx.guard().begin(published.recordingId(), published.rendition(), published.streamKey(), () -> handover);
                    End outcome;
                    try {
                        outcome = handover ? null : pullUntilEnd(url);
                    } finally {
                        ticket.end();
                        ticket = null;
                    }
                    if (outcome != null) {
                        reason = outcome.reason();
                        message = outcome.message();
                    }
                } catch (PullGuard.Exhausted e) {
                    LOG.errorf("recording %s is closed without pulling: %s", published.streamKey(), e.getMessage());
                    ctx.metrics().quarantinedInput();
                    reason = RecordingClosed.Reason.FAILED;
                    message = "pull of " + url + " not started: " + e.getMessage() + " (the limit is reached; its input is taken to"
                            + " crash the recorder)";
                } catch (InterruptedException e) {
                    // The replica shuts down while the pull waited to begin: the stream is someone else's to continue.
                    Thread.currentThread().interrupt();
                    handover = true;
                } catch (IOException | RuntimeException e) {
                    if (!handover) {
                        LOG.errorf("recording %s failed: %s", published.streamKey(), e.getMessage());
                        reason = RecordingClosed.Reason.FAILED;
                        message = "pull of " + url + " failed: " + e.getMessage();
                    }
                }
            }
            queueEnd(reason, message);
        } catch (Retrier.Abort e) {
            LOG.infof("handed over while finding where the recording stands");
            finished.complete(null);
        } catch (Exception e) {
            LOG.errorf(e, "recording %s stopped unexpectedly", published.streamKey());
            finished.completeExceptionally(e);
        } finally {
            running = false;
            MDC.clear();
        }
    }

    /**
     * Pulls until the stream ends: an unpublish (after in-flight media drained), a handover, or no media for the idle
     * timeout. An input that ends without an unpublish (the media server dropped the connection, restarted) is opened
     * again after a pause; the first slice after that is marked as a discontinuity.
     *
     * @return the close reason and message, or null on a handover
     */
    /** How a recording's pull ended: its close reason and the message for RecordingClosed. */
    private record End(RecordingClosed.Reason reason, String message) {
    }

    private String url() {
        return ctx.settings().mediaServerUrl() + "/" + published.app() + "/" + published.stream() + "?tapedeck-role=recorder";
    }

    /**
     * Stands by: waits for its gate, pulls into its own directory keeping the last slices, and when promoted meanwhile
     * ends as the owner would. Returns false when it was promoted before its pull began (the caller records as an owner).
     */
    private boolean standBy() throws Exception {
        if (!awaitGate()) {
            finished.complete(null);
            return true;
        }
        synchronized (this) {
            if (promoted) {
                return false;
            }
            standbyPulling = true;
            standbyDir = ctx.spool().standbyDirOf(published.recordingId(), published.rendition());
            ring = new StandbyRing(ctx.settings().standbySlices(), ctx.settings().standbyBytes());
        }
        ctx.spool().clearStandby(published.recordingId(), published.rendition());
        String url = url();
        LOG.infof("standing by for %s from %s: its slices are kept here (the last %d), nothing is uploaded while its owner records it",
                published.streamKey(), url, ctx.settings().standbySlices());
        End outcome = null;
        try {
            outcome = pullUntilEnd(url);
        } catch (IOException | RuntimeException e) {
            if (promoted && !handover) {
                outcome = new End(RecordingClosed.Reason.FAILED, "pull of " + url + " failed: " + e.getMessage());
            } else {
                LOG.warnf("the standby pull of %s ended: %s", published.streamKey(), e.getMessage());
            }
        }
        if (!promoted) {
            synchronized (this) {
                ring.clear();
            }
            ctx.spool().clearStandby(published.recordingId(), published.rendition());
            LOG.infof("no longer standing by for %s", published.streamKey());
            finished.complete(null);
            return true;
        }
        try {
            takeover.join();
        } catch (java.util.concurrent.CompletionException e) {
            finished.completeExceptionally(e.getCause());
            return true;
        }
        queueEnd(outcome == null ? null : outcome.reason(), outcome == null ? null : outcome.message());
        return true;
    }

    /** A standby begins once the owner's pull is past its crash window: an input that kills its pull takes one replica down, not two. */
    private boolean awaitGate() throws InterruptedException {
        boolean logged = false;
        while (!handover && !promoted) {
            if (ctx.guard().standbyMayBegin(published.recordingId(), published.rendition(), published.publishedAt())) {
                return true;
            }
            if (!logged) {
                LOG.debugf("the standby of %s waits until its owner's pull is past its crash window", published.streamKey());
                logged = true;
            }
            Thread.sleep(250);
        }
        return !handover;
    }

    /** The owner's part: finds what the bucket holds, uploads the kept slices that follow it, and goes on as the owner. */
    private void takeOver() {
        mdc();
        try {
            synchronized (this) {
                ring.freeze();
            }
            // Noted before the listing: the dead owner, restarted, holds back the half-written slice it salvages.
            String note = StorageKeys.recorderTakeover(published.recordingId(), published.rendition());
            byte[] now = String.valueOf(ctx.clock().millis()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ctx.retrier().call("noting the takeover in " + note, () -> {
                ctx.store().writeNote(note, now);
                return null;
            });
            ResumePoint r = ResumePoint.find(ctx, published, source, () -> handover);
            synchronized (this) {
                StandbyRing.Plan plan = StandbyRing.plan(r.nextSeq(), r.lastEndDts(), ring.slices(), unfinished, nextOwnSeq);
                resume = r;
                shift = plan.shift();
                continuesStored = plan.seamless();
                nextSeq = r.nextSeq();
                ctx.spool().begin(new SpoolSession(published.recordingId(), published.sessionId(), source.toString(),
                        published.rendition(), r.nextSeq(), r.resumed()));
                MediaPull m = media;
                if (m != null) {
                    m.retarget(ctx.spool().dirOf(published.recordingId(), published.rendition()), shift);
                }
                dropThrough = plan.dropThrough();
                trimOwn = plan.trimOwn();
                trimFrom = plan.trimFrom();
                if (plan.cutOpen() && m != null) {
                    m.cutAtNextKeyframe();
                }
                plan.drop().forEach(StandbyRing::delete);
                LOG.infof("took the recording over at slice %d (stored up to %s ms of stream time): %d kept slices follow it%s%s%s",
                        r.nextSeq(), r.lastEndDts() == null ? "an unknown point" : r.lastEndDts().toString(), plan.upload().size(),
                        plan.seamless() ? " without a gap" : ", after a gap",
                        plan.cutOpen() ? "; the slice being written overlaps it and is cut" : "",
                        plan.trimOwn() >= 0 ? "; what is stored ends inside its slice " + plan.trimOwn() + ", which follows from its next keyframe" : "");
                takenOver = true;
                for (SliceFile kept : plan.upload()) {
                    spool(renumbered(kept.seq() == trimOwn ? trimmed(kept) : kept, kept.seq() + shift));
                }
                ring.forget();
            }
            ctx.metrics().standbyPromoted(plan(continuesStored));
            takeover.complete(null);
        } catch (Retrier.Abort e) {
            takeover.complete(null);
        } catch (Exception e) {
            LOG.errorf(e, "taking over %s from its owner failed", published.streamKey());
            takeover.completeExceptionally(e);
        } finally {
            MDC.clear();
        }
    }

    private static String plan(boolean seamless) {
        return seamless ? "seamless" : "gap";
    }

    private static SliceFile renumbered(SliceFile s, long seq) {
        return new SliceFile(seq, s.file(), s.firstDtsMillis(), s.lastDtsMillis(), s.durationMillis(), s.keyframes(), s.startedAt(), s.media(),
                s.oversize());
    }

    /** The pull finished a slice: a standby keeps it, an owner spools and uploads it. */
    private synchronized void finishedSlice(SliceFile slice) {
        if (standbyDir != null && slice.file().getParent().equals(standbyDir)) {
            if (!takenOver) {
                unfinished.remove(slice.seq());
                ring.add(slice);
                return;
            }
            if (slice.seq() <= dropThrough) {
                LOG.infof("dropping the part of a slice that overlaps what was stored before the takeover (%d..%d ms)", slice.firstDtsMillis(),
                        slice.firstDtsMillis() + slice.durationMillis());
                StandbyRing.delete(slice);
                return;
            }
            slice = renumbered(slice.seq() == trimOwn ? trimmed(slice) : slice, slice.seq() + shift);
        }
        spool(slice);
    }

    /**
     * The part of a standby's slice from its first keyframe at or after {@link #trimFrom} (the end of what the dead
     * owner stored of it), as a slice of its own; the slice itself when that cannot be made (then it overlaps what is
     * stored and its upload is refused, as any conflict).
     */
    private SliceFile trimmed(SliceFile slice) {
        java.nio.file.Path work = slice.file().resolveSibling(".trim-" + slice.seq());
        try {
            List<SliceFile> out = new ArrayList<>();
            ctx.pulls().openFrom(slice.file().toString(), work, slice.seq(), trimFrom).run(out::add, lastPacket -> null);
            if (out.isEmpty()) {
                throw new IOException("no keyframe after " + trimFrom + " ms");
            }
            SliceFile rest = out.get(0);
            java.nio.file.Files.move(rest.file(), slice.file(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            LOG.infof("slice %d continues what is stored from %d ms: its part from %d ms (%d ms) follows", slice.seq(), trimFrom,
                    rest.firstDtsMillis(), rest.durationMillis());
            return new SliceFile(rest.seq(), slice.file(), rest.firstDtsMillis(), rest.lastDtsMillis(), rest.durationMillis(), rest.keyframes(),
                    slice.startedAt().plusMillis(rest.firstDtsMillis() - slice.firstDtsMillis()), rest.media(), rest.oversize());
        } catch (IOException | RuntimeException e) {
            LOG.warnf("cannot cut slice %d at %d ms (%s): it is uploaded whole", slice.seq(), trimFrom, e.getMessage());
            return slice;
        } finally {
            try (var files = java.nio.file.Files.walk(work)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                LOG.debugf("cannot remove %s: %s", work, e.getMessage());
            }
        }
    }

    private synchronized void openedSlice(long seq, long firstDtsMillis) {
        if (!takenOver && standbyDir != null) {
            unfinished.put(seq, firstDtsMillis);
            nextOwnSeq = seq + 1;
        }
    }

    private End pullUntilEnd(String url) throws IOException {
        lastMediaNanos = System.nanoTime();
        String lastError = null;
        while (true) {
            StreamEnd end;
            String failure = null;
            long mediaBefore = lastMediaNanos;
            try {
                MediaPull m;
                synchronized (this) {
                    boolean own = !standby || takenOver || promoted && !standbyPulling;
                    m = ctx.pulls().open(url, Map.of(
                            // Network reads give up after this long without data (µs); the pull is then opened again.
                            "rw_timeout", String.valueOf(ctx.settings().readTimeout().toNanos() / 1000),
                            // Live input: stream parameters come with the first packets.
                            "analyzeduration", "3000000"),
                            own ? ctx.spool().dirOf(published.recordingId(), published.rendition()) : standbyDir,
                            ctx.settings().sliceLength().toMillis(), own ? nextSeq : nextOwnSeq);
                    media = m;
                }
                end = m.run(new dev.tapedeck.recorder.media.SliceListener() {
                    @Override
                    public void sliceFinished(SliceFile slice) {
                        finishedSlice(slice);
                    }

                    @Override
                    public void sliceOpened(long seq, long firstDtsMillis) {
                        openedSlice(seq, firstDtsMillis);
                    }
                }, this::check);
                if (lastMediaNanos != mediaBefore) {
                    lastError = null;
                }
            } catch (IOException e) {
                end = null;
                failure = e.getMessage();
                lastError = failure;
            }
            if (handover) {
                return null;
            }
            if (end == StreamEnd.STOPPED || unpublished) {
                return new End(RecordingClosed.Reason.UNPUBLISHED, null);
            }
            long idle = System.nanoTime() - lastMediaNanos;
            if (end == StreamEnd.IDLE || idle >= ctx.settings().idleTimeout().toNanos()) {
                LOG.warnf("no media for %d ms and no unpublish: closing the recording", idle / 1_000_000);
                return new End(RecordingClosed.Reason.IDLE_TIMEOUT, "pull of " + url + ": no media for "
                        + idle / 1_000_000 + " ms and no unpublish" + (lastError == null ? "" : "; last error: " + lastError));
            }
            if (!url.startsWith("rtmp")) {
                // A file (tests, salvage) ends for good.
                if (lastError != null) {
                    throw new IOException(lastError);
                }
                return new End(RecordingClosed.Reason.END_OF_INPUT, null);
            }
            // The input ended without an unpublish: the connection broke or the media server restarted. Open it
            // again until the unpublish comes or the idle timeout passes.
            reconnects++;
            afterReconnect = true;
            reopenedAfter(failure == null ? RecordingClosed.Reason.END_OF_INPUT : RecordingClosed.Reason.FAILED, failure);
            ctx.metrics().reconnected();
            LOG.infof("input ended without an unpublish (%s); opening it again in %d ms", lastError == null ? "end of input" : lastError,
                    ctx.settings().reconnectDelay().toMillis());
            long until = System.nanoTime() + ctx.settings().reconnectDelay().toNanos();
            try {
                while (System.nanoTime() < until && check(Long.MIN_VALUE) == null) {
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                // The replica shuts down: the stream is someone else's to continue.
                Thread.currentThread().interrupt();
                handover = true;
                return null;
            }
        }
    }

    /** Notes an end of the input that is opened again; the same end again, with no slice between, counts up the last one. */
    private void reopenedAfter(RecordingClosed.Reason reason, String detail) {
        RecordingClosed.Ending last = endings.isEmpty() ? null : endings.get(endings.size() - 1);
        if (last != null && last.reason() == reason && last.afterSeq() == lastSeq && java.util.Objects.equals(last.detail(), detail)) {
            endings.set(endings.size() - 1, new RecordingClosed.Ending(reason, true, ctx.clock().instant(), lastSeq, detail, last.count() + 1));
        } else {
            endings.add(new RecordingClosed.Ending(reason, true, ctx.clock().instant(), lastSeq, detail, 1));
        }
    }

    /**
     * Asked by the pull between packets and while it waits: stop on a handover at once; after an unpublish, once no
     * packet came for {@link #DRAIN_QUIET_NANOS} (in-flight media drained) or the stop grace passed; end as idle when
     * no media came for the idle timeout.
     */
    private StreamEnd check(long lastPacketNanos) {
        PullGuard.Ticket t = ticket;
        if (t != null) {
            t.check();
        }
        long now = System.nanoTime();
        if (lastPacketNanos != Long.MIN_VALUE && lastPacketNanos > lastMediaNanos) {
            lastMediaNanos = lastPacketNanos;
            if (firstMediaAt == null) {
                firstMediaAt = ctx.clock().instant();
            }
        }
        if (now >= stopAtNanos || unpublished && now - lastMediaNanos >= DRAIN_QUIET_NANOS) {
            return StreamEnd.STOPPED;
        }
        if (now - lastMediaNanos >= ctx.settings().idleTimeout().toNanos()) {
            return StreamEnd.IDLE;
        }
        return null;
    }

    private void spool(SliceFile slice) {
        boolean first = produced == 0;
        long quarantined = uploads.stream().filter(u -> u.isDone() && !u.isCompletedExceptionally()
                && u.join() == Uploader.Result.QUARANTINED).count();
        // A slice that could not be stored under its number leaves a hole: the next one says so.
        boolean afterHole = quarantined > quarantinedSeen;
        quarantinedSeen = quarantined;
        boolean reconnected = afterReconnect;
        afterReconnect = false;
        String cause = first && resume.resumed() && !continuesStored ? (published.reconnected() ? "REPUBLISHED" : "RESUMED") : afterHole ? "QUARANTINE_HOLE"
                : reconnected && produced > 0 ? "RECONNECTED" : slice.media().discontinuityCause();
        boolean discontinuity = cause != null;
        if (slice.oversize()) {
            ctx.metrics().oversizeSlice();
        }
        slice.media().timestampFaults().forEach((kind, n) -> {
            ctx.metrics().timestampFault(kind, n);
            timestampFaults.merge(kind, n, Integer::sum);
        });
        java.time.Instant before = first ? resume.lastStoredAt() : lastSliceEndedAt;
        long gap = discontinuity && before != null ? Math.max(0, slice.startedAt().toEpochMilli() - before.toEpochMilli()) : 0;
        if (discontinuity) {
            gaps.add(new RecordingClosed.Gap(slice.seq(), first ? -1 : lastSliceEndDts, slice.firstDtsMillis(), before, slice.startedAt(), cause));
        }
        SpoolEntry entry = new SpoolEntry(published.recordingId(), published.sessionId(), source.toString(), published.rendition(),
                slice.seq(), slice.firstDtsMillis(), slice.lastDtsMillis(), slice.durationMillis(), slice.keyframes(), discontinuity,
                gap, slice.startedAt(), ctx.clock().instant(), slice.media().withDiscontinuityCause(cause));
        lastSliceEndDts = slice.firstDtsMillis() + slice.durationMillis();
        try {
            ctx.spool().commit(entry, slice);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot spool slice " + slice.seq() + ": " + e.getMessage(), e);
        }
        produced++;
        lastSliceEndedAt = ctx.clock().instant();
        lastSeq = slice.seq();
        nextSeq = slice.seq() + 1;
        recordedMillis += slice.durationMillis();
        ctx.metrics().sliceRecorded(slice.durationMillis());
        uploads.add(ctx.uploader().upload(entry));
    }

    /** Queues the end behind this pull's uploads: RecordingClosed when the stream ended, nothing on a handover. */
    private void queueEnd(RecordingClosed.Reason reason, String message) {
        CompletableFuture<Void> all = CompletableFuture.allOf(uploads.toArray(CompletableFuture[]::new));
        if (reason == null) {
            LOG.infof("handed over after %d slices; the recording continues elsewhere", produced);
            all.whenComplete((v, e) -> {
                endSpool();
                finished.complete(null);
            });
            return;
        }
        long last = Math.max(lastSeq, resume.nextSeq() - 1);
        long slices = resume.slicesBefore() + produced;
        endings.add(new RecordingClosed.Ending(reason, false, ctx.clock().instant(), last, message, 1));
        RecordingClosed.Reason r = reason;
        CompletableFuture<Void> closed = ctx.uploader().then(published.recordingId(), published.rendition(),
                "announcing the end of " + published.recordingId() + "/" + published.rendition(),
                () -> {
                    mdc();
                    long quarantined = uploads.stream().filter(u -> u.isDone() && !u.isCompletedExceptionally()
                            && u.join() == Uploader.Result.QUARANTINED).count();
                    String detail = quarantined == 0 ? message
                            : (message == null ? "" : message + "; ") + quarantined + " slice(s) conflicted with stored objects and were kept in the spool's quarantine";
                    ctx.announcer().closed(new RecordingClosed(published.recordingId(), source.toString(), published.rendition(), last,
                            slices, recordedMillis, r, detail, ctx.clock().instant(), gaps, timestampFaults, endings));
                    ctx.metrics().closed(r);
                    LOG.infof("recording closed (%s): slices up to %d, %d ms recorded here", r, last, recordedMillis);
                });
        closed.whenComplete((v, e) -> {
            ended = e == null;
            endSpool();
            if (e != null) {
                finished.completeExceptionally(e);
            } else {
                finished.complete(null);
            }
        });
    }

    /** The rendition's spool directory goes once empty, and what a standby kept goes with it. */
    private void endSpool() {
        ctx.spool().end(published.recordingId(), published.rendition());
        if (standbyDir != null) {
            ctx.spool().clearStandby(published.recordingId(), published.rendition());
        }
    }

    private void mdc() {
        MDC.put("streamKey", published.streamKey());
        MDC.put("sessionId", published.sessionId());
        MDC.put("recordingId", published.recordingId());
        MDC.put("rendition", published.rendition());
    }
}
