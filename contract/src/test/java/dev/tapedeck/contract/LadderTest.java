package dev.tapedeck.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapedeck.contract.Ladder.Output;
import org.junit.jupiter.api.Test;

class LadderTest {

    @Test
    void fullHdSourceGetsTheWholeDefaultLadder() {
        assertThat(Ladder.DEFAULT.forSource(1920, 1080)).containsExactly(
                new Output("720p", 1280, 720, 2800), new Output("480p", 854, 480, 1400), new Output("360p", 640, 360, 800));
    }

    @Test
    void neverUpscalesAndNeverRepeatsTheSourceHeight() {
        assertThat(Ladder.DEFAULT.forSource(854, 480)).extracting(Output::name).containsExactly("360p");
        assertThat(Ladder.DEFAULT.forSource(1280, 720)).extracting(Output::name).containsExactly("480p", "360p");
        assertThat(Ladder.DEFAULT.forSource(320, 240)).isEmpty();
    }

    @Test
    void widthsAreEvenAndKeepTheAspectRatio() {
        for (Output o : Ladder.DEFAULT.forSource(1440, 1080)) {
            assertThat(o.width() % 2).isZero();
            assertThat((double) o.width() / o.height()).isCloseTo(4.0 / 3.0, org.assertj.core.api.Assertions.within(0.01));
        }
        assertThat(Ladder.parse("360p:500k").forSource(1080, 1920)).containsExactly(new Output("360p", 202, 360, 500));
    }

    @Test
    void parsesAndPrintsSpecsAndRejectsBadOnes() {
        Ladder l = Ladder.parse(" 360p:800k, 1080p:5000K ");
        assertThat(l.toString()).isEqualTo("1080p:5000k,360p:800k");
        assertThatThrownBy(() -> Ladder.parse("720p")).hasMessageContaining("'720p'");
        assertThatThrownBy(() -> Ladder.parse("721p:100k")).hasMessageContaining("even");
        assertThatThrownBy(() -> Ladder.parse("720p:100k,720p:200k")).hasMessageContaining("repeats");
    }
}
