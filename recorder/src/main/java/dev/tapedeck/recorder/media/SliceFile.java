package dev.tapedeck.recorder.media;

import java.nio.file.Path;

/**
 * A finished, closed FLV slice on local disk.
 *
 * @param seq            0-based number within the rendition
 * @param file           the spooled file
 * @param firstDtsMillis DTS of its first packet
 * @param lastDtsMillis  DTS of its last packet
 * @param durationMillis media time it covers: up to the next slice's first DTS, or the end of its last packet
 * @param keyframes      video keyframes in it
 */
public record SliceFile(long seq, Path file, long firstDtsMillis, long lastDtsMillis, long durationMillis, int keyframes) {
}
