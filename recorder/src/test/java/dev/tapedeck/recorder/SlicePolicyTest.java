package dev.tapedeck.recorder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.recorder.media.SlicePolicy;
import org.junit.jupiter.api.Test;

class SlicePolicyTest {

    @Test
    void cutsAtTheFirstKeyframeAtOrAfterTheSliceLength() {
        SlicePolicy p = new SlicePolicy(10_000);
        assertThat(p.cutBefore(500, true)).as("first packet opens the first slice").isFalse();
        assertThat(p.cutBefore(9_999, true)).isFalse();
        assertThat(p.cutBefore(10_500, false)).as("not a keyframe").isFalse();
        assertThat(p.cutBefore(10_500, true)).isTrue();
        assertThat(p.sliceStart()).isEqualTo(10_500);
        assertThat(p.cutBefore(20_499, true)).isFalse();
        assertThat(p.cutBefore(20_500, true)).isTrue();
    }

    @Test
    void streamTimeDecidesNotArrivalOrder() {
        SlicePolicy a = new SlicePolicy(2_000);
        SlicePolicy b = new SlicePolicy(2_000);
        long[] keyframes = {0, 1000, 2000, 3000, 4000};
        for (long k : keyframes) {
            assertThat(a.cutBefore(k, true)).isEqualTo(b.cutBefore(k, true));
        }
    }
}
