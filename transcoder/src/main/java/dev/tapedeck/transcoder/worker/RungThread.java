package dev.tapedeck.transcoder.worker;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_clone;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_clone;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.jboss.logging.Logger;

/**
 * Runs one rung's scaler, encoder and publisher on a thread of its own, fed in stream order through a
 * short queue. The decoder hands every rung a reference to the same decoded frame, so decoding, scaling
 * and each encoder overlap instead of waiting on each other (one slow rung no longer stalls the others
 * frame by frame; it only holds the decoder back once its queue is full).
 *
 * <p>A publish that is refused or lost is opened again with backoff ({@link LadderPipeline.Reconnect}) while the other rungs go
 * on; the rung's input is consumed meanwhile, so it never holds the decoder back, and the publish opened again
 * starts at the next keyframe. A rung whose publish stays lost for the whole window gives up ({@link #gaveUp()})
 * and drops its input. Any other failure (the encoder's) stops the worker: the decoder learns of it at its next
 * hand-over, which throws the rung's {@link WorkerException}.
 */
final class RungThread implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RungThread.class);
    /** Frames a rung may lag behind the decoder: enough to absorb x264's per-frame jitter, little memory. */
    static final int QUEUE = 8;

    private sealed interface Item permits Video, Audio, End {
    }

    private record Video(AVFrame frame, long pts, boolean key) implements Item {
    }

    private record Audio(AVPacket packet) implements Item {
    }

    private record End() implements Item {
    }

    private static final End END = new End();

    private final RungEncoder encoder;
    private final LadderPipeline.Reconnect retry;
    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Thread thread;
    private volatile RuntimeException failure;
    private volatile WorkerException gaveUp;
    private volatile int reopened;
    // The rung thread's own: since when the publish is lost (0: it is open), when to try again, the next wait.
    private long lostSince;
    private long nextAttempt;
    private long delay;
    /**
     * When a lost publish was opened again (0: not since the loss). Only one that then holds for the longest retry
     * delay ends the loss; one lost again sooner (a server that accepts and drops) continues it, backoff and window.
     */
    private long openedAt;
    private WorkerException lastLoss;

    RungThread(RungEncoder encoder, LadderPipeline.Reconnect retry) {
        this.encoder = encoder;
        this.retry = retry;
        this.thread = new Thread(this::run, "rung-" + encoder.rung.name());
        thread.setDaemon(true);
        thread.start();
    }

    String name() {
        return encoder.rung.name();
    }

    /** Hands over a new reference to a decoded frame; the caller keeps its own. */
    void video(AVFrame frame, long pts, boolean key) {
        if (gaveUp == null) {
            put(new Video(av_frame_clone(frame), pts, key));
        }
    }

    /** Hands over a copy of an AAC packet; the caller keeps its own. */
    void audio(AVPacket packet) {
        if (gaveUp == null) {
            put(new Audio(av_packet_clone(packet)));
        }
    }

    /**
     * Ends the input, waits until the rung has flushed its encoder and ended its publish.
     *
     * @return why the rung gave up its publish, or null when it published to the end
     */
    WorkerException finish() {
        if (gaveUp == null) {
            put(END);
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WorkerException(WorkerException.Fault.SYSTEM, "INTERRUPTED", "interrupted while finishing "
                    + encoder.rung.name(), true);
        }
        if (failure != null) {
            throw failure;
        }
        return gaveUp;
    }

    /** Why the rung gave up its publish (lost for the whole retry window), or null while it goes on. */
    WorkerException gaveUp() {
        return gaveUp;
    }

    /** How often a lost publish was opened again. */
    int reopened() {
        return reopened;
    }

    long frames() {
        return encoder.frames();
    }

    int sourceChanges() {
        return encoder.sourceChanges();
    }

    private void put(Item item) {
        try {
            while (true) {
                RuntimeException failed = failure;
                if (failed != null) {
                    free(item);
                    throw failed;
                }
                if (gaveUp != null && item != END) {
                    free(item);
                    return;
                }
                if (queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            free(item);
            Thread.currentThread().interrupt();
            throw new WorkerException(WorkerException.Fault.SYSTEM, "INTERRUPTED", "interrupted while feeding "
                    + encoder.rung.name(), true);
        }
    }

    private void run() {
        try {
            attempt(true);
            while (gaveUp == null) {
                Item item = queue.take();
                try {
                    if (!encoder.isOpen() && System.nanoTime() - nextAttempt >= 0) {
                        attempt(false);
                    }
                    if (gaveUp != null) {
                        return;
                    }
                    if (item instanceof Video v) {
                        publishing(() -> encoder.encode(v.frame(), v.pts(), v.key()));
                    } else if (item instanceof Audio a) {
                        publishing(() -> encoder.audio(a.packet()));
                    } else {
                        publishing(encoder::finish);
                        if (!encoder.isOpen() && gaveUp == null) {
                            // The stream ended while the publish was lost: the rung misses its end.
                            gaveUp = new WorkerException(lastLoss.fault(), lastLoss.code(), lastLoss.getMessage()
                                    + "; the source ended before " + encoder.rung.name() + " could publish again", lastLoss.retryable());
                        }
                        encoder.closeOutput();
                        return;
                    }
                } finally {
                    free(item);
                }
            }
        } catch (InterruptedException e) {
            failure = new WorkerException(WorkerException.Fault.SYSTEM, "INTERRUPTED", encoder.rung.name() + " was interrupted",
                    true);
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            drain();
        }
    }

    /** Runs a step of the encoder; a lost publish is dropped and opened again later, anything else fails the rung. */
    private void publishing(Runnable step) {
        try {
            step.run();
        } catch (WorkerException e) {
            if (e.fault() != WorkerException.Fault.DESTINATION) {
                throw e;
            }
            lost(e);
        }
    }

    private void lost(WorkerException e) {
        encoder.closeOutput();
        lastLoss = e;
        long now = System.nanoTime();
        if (lostSince != 0 && openedAt != 0 && (now - openedAt) / 1_000_000 >= retry.maxDelayMillis()) {
            lostSince = 0; // the publish opened again held long enough: this is a new loss
        }
        openedAt = 0;
        if (lostSince == 0) {
            lostSince = now;
            delay = retry.firstDelayMillis();
            LOG.warnf("%s: %s; publishing again in %d ms", encoder.rung.name(), e.getMessage(), delay);
        }
        nextAttempt = now + delay * 1_000_000;
        delay = Math.min(delay * 2, retry.maxDelayMillis());
        if ((now - lostSince) / 1_000_000 >= retry.windowMillis()) {
            gaveUp = new WorkerException(e.fault(), e.code(), e.getMessage() + "; " + encoder.rung.name() + " gave up after "
                    + retry.windowMillis() + " ms of retries", e.retryable());
            LOG.errorf("%s: publish lost for %d ms: this rung gives up, the others go on", encoder.rung.name(), retry.windowMillis());
        }
    }

    /** Opens the publish; the first attempt of the rung, or again after a loss. */
    private void attempt(boolean first) {
        try {
            encoder.open();
            if (!first) {
                reopened++;
                openedAt = System.nanoTime();
                LOG.infof("%s: publishing again after %d ms", encoder.rung.name(), (openedAt - lostSince) / 1_000_000);
            }
        } catch (WorkerException e) {
            if (e.fault() != WorkerException.Fault.DESTINATION) {
                throw e;
            }
            lost(e);
        }
    }

    private void drain() {
        for (Item item; (item = queue.poll()) != null; ) {
            free(item);
        }
    }

    private static void free(Item item) {
        if (item instanceof Video v) {
            av_frame_free(v.frame());
        } else if (item instanceof Audio a) {
            av_packet_free(a.packet());
        }
    }

    /**
     * Stops the thread if it still runs (the pipeline failed elsewhere), frees what it did not take, and
     * closes the encoder. An encoder still busy after the wait (a publish stuck on the network) is left
     * open rather than freed under the thread's feet; the process is about to exit.
     */
    @Override
    public void close() {
        if (thread.isAlive()) {
            thread.interrupt();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        drain();
        if (!thread.isAlive()) {
            encoder.close();
        }
    }
}
