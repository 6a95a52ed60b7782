package dev.tapedeck.recorder.media;

/** Receives each slice as soon as its file is complete. */
@FunctionalInterface
public interface SliceListener {
    void sliceFinished(SliceFile slice);
}
