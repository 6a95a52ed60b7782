package dev.tapedeck.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class StreamKeyTest {

    @ParameterizedTest
    @ValueSource(strings = {"../x", "..", ".hidden", "a/b", "a b", "", "x%2F..", "a\nb", "-dash", "é"})
    void hostileStreamNamesAreRefusedWithAReason(String name) {
        assertThatThrownBy(() -> new StreamKey("v", "live", name))
                .isInstanceOf(StreamKey.InvalidNameException.class)
                .hasMessageContaining("stream");
    }

    @Test
    void nameLongerThan64IsRefused() {
        assertThatThrownBy(() -> new StreamKey("v", "live", "a".repeat(65)))
                .isInstanceOf(StreamKey.InvalidNameException.class);
        assertThat(new StreamKey("v", "live", "a".repeat(64)).stream()).hasSize(64);
    }

    @Test
    void parseRoundTripsAndKnowsDerivedApps() {
        StreamKey key = StreamKey.parse("__defaultVhost__/live-abr/demo_720p");
        assertThat(key.toString()).isEqualTo("__defaultVhost__/live-abr/demo_720p");
        assertThat(key.derived()).isTrue();
        assertThat(StreamKey.parse("v/live/demo").derived()).isFalse();
    }

    @Test
    void parseRefusesWrongShape() {
        assertThatThrownBy(() -> StreamKey.parse("live/demo")).hasMessageContaining("vhost/app/stream");
    }
}
