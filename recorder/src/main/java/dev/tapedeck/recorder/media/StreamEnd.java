package dev.tapedeck.recorder.media;

/** Why a slicer stopped reading. */
public enum StreamEnd {
    /** The input ended: the media server closed the stream or the connection, or a file ended. */
    END_OF_INPUT,
    /** The caller asked it to stop (unpublish seen, a handover, or shutdown). */
    STOPPED,
    /** The caller ended it because no packet came for too long. */
    IDLE
}
