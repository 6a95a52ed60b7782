package dev.tapedeck.recorder.spool;

/**
 * Which recording a spool directory belongs to, written as {@code session.json} when a pull starts, so a
 * slice left half-written by a crash can still be filed under its recording.
 *
 * @param recordingId {@code 0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10}
 * @param sessionId   the session being pulled
 * @param streamKey   the source's streamKey
 * @param rendition   {@code source}
 * @param firstSeq    the first slice this pull writes
 * @param resumed     true when the pull continues a recording that already had slices
 */
public record SpoolSession(String recordingId, String sessionId, String streamKey, String rendition, long firstSeq, boolean resumed) {
}
