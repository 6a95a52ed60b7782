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

    /**
     * @param pull false for a recording whose stream already ended while no replica held it: it is closed
     *             from what is stored, without pulling
     */
    RecordingSession(StreamPublished published, RecorderContext ctx, boolean pull) {
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

    /** True while its pull runs. */
    public boolean running() {
        return running;
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
            resume = ResumePoint.find(ctx, published, source, () -> handover);
            nextSeq = resume.nextSeq();
            RecordingClosed.Reason reason = null;
            String message = null;
            if (!pull) {
                reason = RecordingClosed.Reason.UNPUBLISHED;
                LOG.infof("the stream ended while no replica held it; closing the recording at slice %d", resume.nextSeq() - 1);
            } else {
                String url = ctx.settings().mediaServerUrl() + "/" + published.app() + "/" + published.stream() + "?tapedeck-role=recorder";
                LOG.infof("recording %s from %s, %s at slice %d", published.streamKey(), url,
                        resume.resumed() ? "resuming" : "starting", resume.nextSeq());
                try {
                    ctx.spool().begin(new SpoolSession(published.recordingId(), published.sessionId(), source.toString(),
                            published.rendition(), resume.nextSeq(), resume.resumed()));
                    MediaPull media = ctx.pulls().open(url, Map.of(
                            // Network reads give up after this long without data (µs).
                            "rw_timeout", String.valueOf(ctx.settings().readTimeout().toNanos() / 1000),
                            // Live input: stream parameters come with the first packets.
                            "analyzeduration", "3000000"),
                            ctx.spool().dirOf(published.recordingId(), published.rendition()),
                            ctx.settings().sliceLength().toMillis(), resume.nextSeq());
                    StreamEnd end = media.run(this::spool, () -> System.nanoTime() >= stopAtNanos);
                    if (!handover) {
                        reason = end == StreamEnd.END_OF_INPUT && !unpublished ? RecordingClosed.Reason.END_OF_INPUT
                                : RecordingClosed.Reason.UNPUBLISHED;
                    }
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

    private void spool(SliceFile slice) {
        boolean first = produced == 0;
        long quarantined = uploads.stream().filter(u -> u.isDone() && !u.isCompletedExceptionally()
                && u.join() == Uploader.Result.QUARANTINED).count();
        // A slice that could not be stored under its number leaves a hole: the next one says so.
        boolean afterHole = quarantined > quarantinedSeen;
        quarantinedSeen = quarantined;
        boolean discontinuity = first && resume.resumed() || afterHole;
        long gap = first && discontinuity && resume.lastStoredAt() != null
                ? Math.max(0, slice.startedAt().toEpochMilli() - resume.lastStoredAt().toEpochMilli()) : 0;
        SpoolEntry entry = new SpoolEntry(published.recordingId(), published.sessionId(), source.toString(), published.rendition(),
                slice.seq(), slice.firstDtsMillis(), slice.lastDtsMillis(), slice.durationMillis(), slice.keyframes(), discontinuity,
                gap, slice.startedAt(), ctx.clock().instant());
        try {
            ctx.spool().commit(entry, slice);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot spool slice " + slice.seq() + ": " + e.getMessage(), e);
        }
        produced++;
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
                ctx.spool().end(published.recordingId(), published.rendition());
                finished.complete(null);
            });
            return;
        }
        long last = Math.max(lastSeq, resume.nextSeq() - 1);
        long slices = resume.slicesBefore() + produced;
        RecordingClosed.Reason r = reason;
        CompletableFuture<Void> closed = ctx.uploader().then("announcing the end of " + published.recordingId() + "/" + published.rendition(),
                () -> {
                    mdc();
                    long quarantined = uploads.stream().filter(u -> u.isDone() && !u.isCompletedExceptionally()
                            && u.join() == Uploader.Result.QUARANTINED).count();
                    String detail = quarantined == 0 ? message
                            : (message == null ? "" : message + "; ") + quarantined + " slice(s) conflicted with stored objects and were kept in the spool's quarantine";
                    ctx.announcer().closed(new RecordingClosed(published.recordingId(), source.toString(), published.rendition(), last,
                            slices, recordedMillis, r, detail, ctx.clock().instant()));
                    ctx.metrics().closed(r);
                    LOG.infof("recording closed (%s): slices up to %d, %d ms recorded here", r, last, recordedMillis);
                });
        closed.whenComplete((v, e) -> {
            ended = e == null;
            ctx.spool().end(published.recordingId(), published.rendition());
            if (e != null) {
                finished.completeExceptionally(e);
            } else {
                finished.complete(null);
            }
        });
    }

    private void mdc() {
        MDC.put("streamKey", published.streamKey());
        MDC.put("sessionId", published.sessionId());
        MDC.put("recordingId", published.recordingId());
        MDC.put("rendition", published.rendition());
    }
}
