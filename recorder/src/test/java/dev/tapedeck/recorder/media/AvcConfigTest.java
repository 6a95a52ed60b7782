package dev.tapedeck.recorder.media;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class AvcConfigTest {

    @Test
    void readsThePictureSizeAndCodecOfX264SequenceHeaders() {
        // avcC of x264 at 640x360 (cropped from 368 lines) and 854x480 (cropped from 864 columns), high profile.
        assertThat(AvcConfig.parse(HexFormat.of().parseHex(
                "0164001effe1001a6764001eacd940a02ff970110000030001000003003c0f162d9601000668ebe3cb22c0fdf8f800")))
                .isEqualTo(new AvcConfig(640, 360, "avc1.64001e"));
        assertThat(AvcConfig.parse(HexFormat.of().parseHex(
                "0164001fffe1001a6764001facd940d83de6f0110000030001000003003c0f18319601000668ebe3cb22c0fdf8f800")))
                .isEqualTo(new AvcConfig(854, 480, "avc1.64001f"));
    }

    @Test
    void somethingElseIsNoConfiguration() {
        assertThat(AvcConfig.parse(null)).isNull();
        assertThat(AvcConfig.parse(new byte[] {0, 0, 0, 1, 0x67})).isNull();
        assertThat(AvcConfig.parse(HexFormat.of().parseHex("0164001effe1001a6764"))).isNull();
    }
}
