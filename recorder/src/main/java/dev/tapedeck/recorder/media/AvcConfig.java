package dev.tapedeck.recorder.media;

import java.io.ByteArrayOutputStream;

/**
 * What an H.264 decoder configuration record ({@code avcC}, the sequence header FLV carries) says about the picture:
 * its size (after cropping) and the RFC 6381 codec string. Read from the first SPS.
 *
 * @param width  displayed width, 1280
 * @param height displayed height, 720
 * @param codec  {@code avc1.64001f}
 */
public record AvcConfig(int width, int height, String codec) {

    /** Parses an {@code avcC} record; null when it is not one or its SPS cannot be read. */
    public static AvcConfig parse(byte[] avcc) {
        try {
            if (avcc == null || avcc.length < 8 || avcc[0] != 1 || (avcc[5] & 0x1f) == 0) {
                return null;
            }
            int spsLength = ((avcc[6] & 0xff) << 8) | (avcc[7] & 0xff);
            byte[] sps = unescape(avcc, 8, spsLength);
            String codec = String.format("avc1.%02x%02x%02x", avcc[1] & 0xff, avcc[2] & 0xff, avcc[3] & 0xff);
            Bits b = new Bits(sps);
            b.skip(8); // NAL header
            int profile = b.u(8);
            b.skip(16); // constraint flags, level
            b.ue(); // seq_parameter_set_id
            int chromaFormat = 1;
            if (profile == 100 || profile == 110 || profile == 122 || profile == 244 || profile == 44 || profile == 83
                    || profile == 86 || profile == 118 || profile == 128 || profile == 138 || profile == 139 || profile == 134
                    || profile == 135) {
                chromaFormat = b.ue();
                if (chromaFormat == 3) {
                    b.skip(1); // separate_colour_plane_flag
                }
                b.ue(); // bit_depth_luma_minus8
                b.ue(); // bit_depth_chroma_minus8
                b.skip(1); // qpprime_y_zero_transform_bypass_flag
                if (b.u(1) == 1) { // seq_scaling_matrix_present_flag
                    for (int i = 0; i < (chromaFormat != 3 ? 8 : 12); i++) {
                        if (b.u(1) == 1) {
                            skipScalingList(b, i < 6 ? 16 : 64);
                        }
                    }
                }
            }
            b.ue(); // log2_max_frame_num_minus4
            int pocType = b.ue();
            if (pocType == 0) {
                b.ue();
            } else if (pocType == 1) {
                b.skip(1);
                b.se();
                b.se();
                int cycle = b.ue();
                for (int i = 0; i < cycle; i++) {
                    b.se();
                }
            }
            b.ue(); // max_num_ref_frames
            b.skip(1); // gaps_in_frame_num_value_allowed_flag
            int widthMbs = b.ue() + 1;
            int heightUnits = b.ue() + 1;
            int frameMbsOnly = b.u(1);
            if (frameMbsOnly == 0) {
                b.skip(1); // mb_adaptive_frame_field_flag
            }
            b.skip(1); // direct_8x8_inference_flag
            int cropLeft = 0;
            int cropRight = 0;
            int cropTop = 0;
            int cropBottom = 0;
            if (b.u(1) == 1) {
                cropLeft = b.ue();
                cropRight = b.ue();
                cropTop = b.ue();
                cropBottom = b.ue();
            }
            int subWidth = chromaFormat == 1 || chromaFormat == 2 ? 2 : 1;
            int subHeight = chromaFormat == 1 ? 2 : 1;
            int cropUnitX = chromaFormat == 0 ? 1 : subWidth;
            int cropUnitY = (chromaFormat == 0 ? 1 : subHeight) * (2 - frameMbsOnly);
            int width = widthMbs * 16 - cropUnitX * (cropLeft + cropRight);
            int height = (2 - frameMbsOnly) * heightUnits * 16 - cropUnitY * (cropTop + cropBottom);
            return new AvcConfig(width, height, codec);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void skipScalingList(Bits b, int size) {
        int last = 8;
        int next = 8;
        for (int j = 0; j < size; j++) {
            if (next != 0) {
                next = (last + b.se() + 256) % 256;
            }
            last = next == 0 ? last : next;
        }
    }

    /** The RBSP of a NAL unit: emulation prevention bytes (00 00 03) removed. */
    private static byte[] unescape(byte[] in, int from, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length);
        int zeros = 0;
        for (int i = from; i < from + length; i++) {
            int v = in[i] & 0xff;
            if (zeros >= 2 && v == 3) {
                zeros = 0;
                continue;
            }
            out.write(v);
            zeros = v == 0 ? zeros + 1 : 0;
        }
        return out.toByteArray();
    }

    /** A big-endian bit reader with Exp-Golomb codes. */
    private static final class Bits {
        private final byte[] data;
        private int pos;

        Bits(byte[] data) {
            this.data = data;
        }

        int u(int n) {
            int v = 0;
            for (int i = 0; i < n; i++) {
                if (pos >= data.length * 8) {
                    throw new IllegalArgumentException("SPS ends early");
                }
                v = (v << 1) | ((data[pos >> 3] >> (7 - (pos & 7))) & 1);
                pos++;
            }
            return v;
        }

        void skip(int n) {
            pos += n;
        }

        int ue() {
            int zeros = 0;
            while (u(1) == 0) {
                zeros++;
                if (zeros > 31) {
                    throw new IllegalArgumentException("bad Exp-Golomb code");
                }
            }
            return (int) ((1L << zeros) - 1 + u(zeros));
        }

        int se() {
            int k = ue();
            return (k & 1) == 1 ? (k + 1) / 2 : -(k / 2);
        }
    }
}
