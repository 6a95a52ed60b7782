package dev.tapedeck.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CutGridTest {

    @Test
    void cutsAtTheFirstKeyframeAtOrAfterEachMultiple() {
        CutGrid g = new CutGrid(10_000);
        assertThat(g.cutBefore(500, true)).as("the first packet opens the first piece").isFalse();
        assertThat(g.cutBefore(9_999, true)).isFalse();
        assertThat(g.cutBefore(10_500, false)).as("not a keyframe").isFalse();
        assertThat(g.cutBefore(10_500, true)).isTrue();
        assertThat(g.pieceStart()).isEqualTo(10_500);
        assertThat(g.cutBefore(19_999, true)).isFalse();
        assertThat(g.cutBefore(20_000, true)).as("on the grid, not 10 s after the last cut").isTrue();
    }

    @Test
    void aRenditionThatJoinedLateCutsAtTheSameKeyframes() {
        long[] keyframes = {66, 2066, 4066, 6066, 8066, 10066, 12066, 14066, 16066};
        List<Long> early = cuts(new CutGrid(6_000), keyframes, 0);
        assertThat(early).containsExactly(6066L, 12066L);
        assertThat(cuts(new CutGrid(6_000), keyframes, 1)).as("joined at 2 s").isEqualTo(early);
        assertThat(cuts(new CutGrid(6_000), keyframes, 4)).as("joined at 8 s").containsExactly(12066L);
    }

    @Test
    void keyframesFurtherApartThanTheLengthCutAtEveryKeyframe() {
        assertThat(cuts(new CutGrid(2_000), new long[] {0, 5000, 10000, 15000}, 0)).containsExactly(5000L, 10000L, 15000L);
    }

    @Test
    void lengthMustBePositive() {
        assertThatThrownBy(() -> new CutGrid(0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static List<Long> cuts(CutGrid grid, long[] keyframes, int from) {
        List<Long> cuts = new ArrayList<>();
        for (int i = from; i < keyframes.length; i++) {
            if (grid.cutBefore(keyframes[i], true)) {
                cuts.add(keyframes[i]);
            }
        }
        return cuts;
    }

    @Test
    void slicesMustBeWholeMultiplesOfSegments() {
        CutGrid.checkAligned(java.time.Duration.ofSeconds(180), java.time.Duration.ofSeconds(6));
        CutGrid.checkAligned(java.time.Duration.ofSeconds(4), java.time.Duration.ofSeconds(4));
        assertThatThrownBy(() -> CutGrid.checkAligned(java.time.Duration.ofSeconds(10), java.time.Duration.ofSeconds(6)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("slice-length (10000 ms)").hasMessageContaining("segment-duration (6000 ms)")
                .hasMessageContaining("e.g. segment-duration 5000 ms");
    }
}
