package dev.tapedeck.recorder.media;

import dev.tapedeck.contract.event.SliceMedia;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A finished, closed FLV slice on local disk.
 *
 * @param seq            0-based number within the rendition
 * @param file           the file as the pull wrote it ({@code 000004.flv.part})
 * @param firstDtsMillis DTS of its first packet
 * @param lastDtsMillis  DTS of its last packet
 * @param durationMillis media time it covers: up to the next slice's first DTS, or the end of its last packet
 * @param keyframes      video keyframes in it
 * @param startedAt      wall-clock time its first packet arrived
 * @param media          packet counts, picture size, codecs, why it does not continue the previous slice of its
 *                       pull ({@code TIMESTAMP_ROLLBACK}, {@code TIMESTAMP_FORWARD_JUMP}, {@code CODEC_CHANGE}) and the
 *                       timestamp faults corrected in it
 * @param oversize       it was cut at the first keyframe after the maximum slice duration or size, not on the grid
 */
public record SliceFile(long seq, Path file, long firstDtsMillis, long lastDtsMillis, long durationMillis, int keyframes,
        Instant startedAt, SliceMedia media, boolean oversize) {

    /** A slice that continues its predecessor, of which nothing more is known (tests). */
    public SliceFile(long seq, Path file, long firstDtsMillis, long lastDtsMillis, long durationMillis, int keyframes, Instant startedAt) {
        this(seq, file, firstDtsMillis, lastDtsMillis, durationMillis, keyframes, startedAt,
                new SliceMedia(0, 0, 0, 0, null, null, null, java.util.Map.of()), false);
    }

    /** Suffix of a slice file that is still being written. */
    public static final String PART = ".part";

    /** {@code 000004.flv.part} */
    public static String partName(long seq) {
        return "%06d.flv".formatted(seq) + PART;
    }
}
