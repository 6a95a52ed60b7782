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

    /**
     * From the next slice it begins on, writes slices into {@code dir} and numbers them {@code shift} higher than it
     * would have (a standby that became the owner continues the recording's numbers in the spool). Any thread.
     */
    default void retarget(java.nio.file.Path dir, long shift) {
    }

    /** Begins a new slice at the next keyframe, off the grid (the slice being written overlaps what is stored). Any thread. */
    default void cutAtNextKeyframe() {
    }
}
