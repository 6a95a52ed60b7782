package dev.tapedeck.recorder.media;

/** Why a slicer stopped reading. */
public enum StreamEnd {
    /** The media server ended the stream (end of input). */
    END_OF_INPUT,
    /** The caller asked it to stop (unpublish seen, or shutdown). */
    STOPPED
}
