package dev.tapedeck.recorder.media;

import java.io.IOException;
import java.util.function.BooleanSupplier;

/** One pull of one stream into slice files. The recorder's rules see only this, so they are testable without natives. */
public interface MediaPull {

    /**
     * Reads until the end of input or until {@code stop} says so. Every slice started is finished and handed to
     * {@code listener} on the calling thread, in order.
     *
     * @throws IOException when the input cannot be opened or read, or a slice cannot be written
     */
    StreamEnd run(SliceListener listener, BooleanSupplier stop) throws IOException;
}
