package dev.tapedeck.contract.event;

import java.util.Map;

/**
 * What a slice holds and what the recorder corrected in it.
 *
 * @param videoPackets       video packets in it, 300
 * @param audioPackets       audio packets in it, 469
 * @param width              picture width its header announces, 1280; 0 without video
 * @param height             picture height, 720
 * @param videoCodec         RFC 6381 codec string, {@code avc1.64001f}; null without video or when unknown
 * @param audioCodec         {@code mp4a.40.2}; null without audio or when unknown
 * @param discontinuityCause why the slice does not continue the previous one, null when it does: {@code RESUMED}
 *                           (another or a restarted replica took the recording over), {@code REPUBLISHED} (the
 *                           publisher came back within the reconnect window), {@code RECONNECTED} (the pull was
 *                           opened again), {@code QUARANTINE_HOLE} (the previous slice could not be stored under its
 *                           number), {@code TIMESTAMP_ROLLBACK}, {@code TIMESTAMP_FORWARD_JUMP}, {@code CODEC_CHANGE}
 * @param timestampFaults    timestamp faults corrected in it, by kind: {@code ROLLBACK}, {@code FORWARD_JUMP}, {@code WRAP}
 */
public record SliceMedia(
        int videoPackets,
        int audioPackets,
        int width,
        int height,
        String videoCodec,
        String audioCodec,
        String discontinuityCause,
        Map<String, Integer> timestampFaults) {

    public SliceMedia {
        timestampFaults = timestampFaults == null ? Map.of() : Map.copyOf(timestampFaults);
    }

    /** The same with another discontinuity cause. */
    public SliceMedia withDiscontinuityCause(String cause) {
        return new SliceMedia(videoPackets, audioPackets, width, height, videoCodec, audioCodec, cause, timestampFaults);
    }
}
