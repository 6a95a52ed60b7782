package dev.tapedeck.recorder.media;

/** Receives each slice as soon as its file is complete. */
@FunctionalInterface
public interface SliceListener {
    void sliceFinished(SliceFile slice);

    /** A slice was begun: its number and the DTS of its first packet (a keyframe). */
    default void sliceOpened(long seq, long firstDtsMillis) {
    }
}
