package dev.tapedeck.recorder.media;

import java.io.IOException;

/** One pull of one stream into slice files. The recorder's rules see only this, so they are testable without natives. */
public interface MediaPull {

    /**
     * Reads until the end of input or until {@code control} ends it (asked between packets and while a read waits).
     * Every slice started is finished and handed to {@code listener} on the calling thread, in order.
     *
     * @throws IOException when the input cannot be opened or read, or a slice cannot be written
     */
    StreamEnd run(SliceListener listener, PullControl control) throws IOException;
}
