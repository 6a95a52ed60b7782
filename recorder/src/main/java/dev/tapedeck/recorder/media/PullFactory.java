package dev.tapedeck.recorder.media;

import java.nio.file.Path;
import java.util.Map;

/** Makes {@link MediaPull}s; the JavaCV implementation is {@link JavacvPullFactory}. */
public interface PullFactory {

    /**
     * @param input        {@code rtmp://127.0.0.1:1935/live/demo?tapedeck-role=recorder}, or a file
     * @param inputOptions FFmpeg demuxer and protocol options
     * @param dir          where slice files are written
     * @param sliceMillis  slice length in stream time
     * @param firstSeq     sequence number of the first slice
     */
    MediaPull open(String input, Map<String, String> inputOptions, Path dir, long sliceMillis, long firstSeq);

    /**
     * Remuxes one slice file from its first keyframe at or after {@code fromDtsMillis} to its end, as slice {@code seq}
     * in {@code dir} (a standby's copy of a slice whose first part is already stored).
     */
    default MediaPull openFrom(String file, Path dir, long seq, long fromDtsMillis) {
        throw new UnsupportedOperationException("this pull factory cannot remux part of a slice");
    }

    /** Loads what the first pull needs (native libraries), so that a start pays for it instead of the first pull. */
    default void prepare() {
    }
}
