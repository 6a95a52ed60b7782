package dev.tapedeck.recorder.media;

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
 * @param discontinuity  why it does not continue the previous slice of its pull ({@code TIMESTAMP_ROLLBACK},
 *                       {@code TIMESTAMP_FORWARD_JUMP}, {@code CODEC_CHANGE}), or null
 * @param timestampFaults timestamp faults corrected in it, by kind ({@code ROLLBACK}, {@code FORWARD_JUMP}, {@code WRAP})
 * @param width          picture width its header announces (0 without video)
 * @param height         picture height
 * @param videoCodec     RFC 6381 codec string of its video, {@code avc1.64001f}, or null
 */
public record SliceFile(long seq, Path file, long firstDtsMillis, long lastDtsMillis, long durationMillis, int keyframes,
        Instant startedAt, String discontinuity, java.util.Map<String, Integer> timestampFaults, int width, int height,
        String videoCodec) {

    /** A slice that continues its predecessor and needed no correction. */
    public SliceFile(long seq, Path file, long firstDtsMillis, long lastDtsMillis, long durationMillis, int keyframes, Instant startedAt) {
        this(seq, file, firstDtsMillis, lastDtsMillis, durationMillis, keyframes, startedAt, null, java.util.Map.of(), 0, 0, null);
    }

    /** Suffix of a slice file that is still being written. */
    public static final String PART = ".part";

    /** {@code 000004.flv.part} */
    public static String partName(long seq) {
        return "%06d.flv".formatted(seq) + PART;
    }
}
