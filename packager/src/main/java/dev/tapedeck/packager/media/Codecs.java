package dev.tapedeck.packager.media;

import java.util.Locale;

/** RFC 6381 codec strings from codec parameters. Pure logic. */
public final class Codecs {
    private Codecs() {
    }

    /**
     * {@code avc1.PPCCLL} from an avcC record (FLV/MP4 extradata: version, profile, constraints, level …).
     * Falls back to the profile and level numbers when there is no avcC.
     */
    public static String avc1(byte[] extradata, int profile, int level) {
        if (extradata != null && extradata.length >= 4 && extradata[0] == 1) {
            return String.format(Locale.ROOT, "avc1.%02x%02x%02x", extradata[1] & 0xff, extradata[2] & 0xff, extradata[3] & 0xff);
        }
        return String.format(Locale.ROOT, "avc1.%02x00%02x", Math.max(profile, 66) & 0xff, Math.max(level, 30) & 0xff);
    }

    /** {@code mp4a.40.N} where N is the AAC audio object type (FFmpeg's profile + 1; LC = 2). */
    public static String mp4a(int ffmpegAacProfile) {
        return "mp4a.40." + (ffmpegAacProfile >= 0 ? ffmpegAacProfile + 1 : 2);
    }
}
