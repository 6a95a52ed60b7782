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

/**
 * Runs one rung's scaler, encoder and publisher on a thread of its own, fed in stream order through a
 * short queue. The decoder hands every rung a reference to the same decoded frame, so decoding, scaling
 * and each encoder overlap instead of waiting on each other (one slow rung no longer stalls the others
 * frame by frame; it only holds the decoder back once its queue is full).
 *
 * <p>A rung that fails (its publish is refused or dropped) stops taking input; the decoder learns of it
 * at its next hand-over, which throws the rung's {@link WorkerException}.
 */
final class RungThread implements AutoCloseable {
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
    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(QUEUE);
    private final Thread thread;
    private volatile RuntimeException failure;

    RungThread(RungEncoder encoder) {
        this.encoder = encoder;
        this.thread = new Thread(this::run, "rung-" + encoder.rung.name());
        thread.setDaemon(true);
        thread.start();
    }

    /** Hands over a new reference to a decoded frame; the caller keeps its own. */
    void video(AVFrame frame, long pts, boolean key) {
        put(new Video(av_frame_clone(frame), pts, key));
    }

    /** Hands over a copy of an AAC packet; the caller keeps its own. */
    void audio(AVPacket packet) {
        put(new Audio(av_packet_clone(packet)));
    }

    /** Ends the input, waits until the rung has flushed its encoder and ended its publish. */
    void finish() {
        put(END);
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
    }

    long frames() {
        return encoder.frames();
    }

    private void put(Item item) {
        try {
            while (true) {
                RuntimeException failed = failure;
                if (failed != null) {
                    free(item);
                    throw failed;
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
            while (true) {
                Item item = queue.take();
                try {
                    if (item instanceof Video v) {
                        encoder.encode(v.frame(), v.pts(), v.key());
                    } else if (item instanceof Audio a) {
                        encoder.audio(a.packet());
                    } else {
                        encoder.finish();
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
