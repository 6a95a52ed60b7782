package dev.tapedeck.packager.media;

import java.nio.file.Path;

/**
 * One segment written from a slice.
 *
 * @param file           the local file
 * @param firstDtsMillis DTS of its first packet (stream time)
 * @param startMillis    presentation time (PTS, stream time) of its first video keyframe, where it begins on the
 *                       recording's timeline: renditions with different decode delays (B-frames) share it, not the DTS;
 *                       the first packet's DTS for a segment without video
 * @param durationMillis up to the next segment's first DTS, or to the slice's end
 * @param bytes          file size
 * @param videoFrames    video frames in it
 * @param videoSpanMillis from its first video frame's DTS to its last's: the time its frames run, without the audio that
 *                       may follow the last (the last segment of a recording); 0 without video
 * @param init           fMP4: the local file of its initialization section ({@code ftyp} and {@code moov}), which
 *                       {@code file} (its {@code moof} and {@code mdat} boxes) needs to be played; null for MPEG-TS
 */
public record Segment(Path file, long firstDtsMillis, long startMillis, long durationMillis, long bytes, int videoFrames,
        long videoSpanMillis, Path init) {
}
