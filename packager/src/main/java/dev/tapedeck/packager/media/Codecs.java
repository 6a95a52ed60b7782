package dev.tapedeck.packager.media;

import java.util.ArrayList;
import java.util.List;
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

    /**
     * {@code hvc1.<space><profile>.<compatibility>.<tier><level>.<constraints>} (ISO/IEC 14496-15 annex E) from an hvcC
     * record: the compatibility flags bit-reversed in hex, the constraint bytes in hex up to the last non-zero one.
     * Falls back to the profile and level numbers when there is no hvcC.
     */
    public static String hvc1(byte[] extradata, int profile, int level) {
        if (extradata == null || extradata.length < 13 || extradata[0] != 1) {
            int p = Math.max(profile, 1);
            return String.format(Locale.ROOT, "hvc1.%d.%X.L%d.B0", p, p == 1 ? 6 : 1 << p, Math.max(level, 93));
        }
        int b1 = extradata[1] & 0xff;
        String space = switch (b1 >> 6) {
            case 1 -> "A";
            case 2 -> "B";
            case 3 -> "C";
            default -> "";
        };
        char tier = (b1 & 0x20) != 0 ? 'H' : 'L';
        int profileIdc = b1 & 0x1f;
        long compatibility = ((extradata[2] & 0xffL) << 24) | ((extradata[3] & 0xffL) << 16) | ((extradata[4] & 0xffL) << 8)
                | (extradata[5] & 0xffL);
        long reversed = Integer.toUnsignedLong(Integer.reverse((int) compatibility));
        List<String> constraints = new ArrayList<>();
        int last = 0;
        for (int i = 0; i < 6; i++) {
            if ((extradata[6 + i] & 0xff) != 0) {
                last = i + 1;
            }
        }
        for (int i = 0; i < Math.max(last, 1); i++) {
            constraints.add(String.format(Locale.ROOT, "%X", extradata[6 + i] & 0xff));
        }
        return String.format(Locale.ROOT, "hvc1.%s%d.%X.%c%d.%s", space, profileIdc, reversed, tier, extradata[12] & 0xff,
                String.join(".", constraints));
    }

    /** {@code mp4a.40.N} where N is the AAC audio object type (FFmpeg's profile + 1; LC = 2). */
    public static String mp4a(int ffmpegAacProfile) {
        return "mp4a.40." + (ffmpegAacProfile >= 0 ? ffmpegAacProfile + 1 : 2);
    }

    /** MPEG-1/2 Layer III audio, as HLS names it (audio object type 34). */
    public static final String MP3 = "mp4a.40.34";
    /** MP3 in an MP4 sample entry (object type indication 0x6B), as fMP4 segments carry it. */
    public static final String MP3_IN_MP4 = "mp4a.6B";

    /** Opus, as registered for MP4 ({@code Opus}). */
    public static final String OPUS = "Opus";
}
