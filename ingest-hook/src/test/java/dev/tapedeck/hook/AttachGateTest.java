package dev.tapedeck.hook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.hook.service.AttachGate;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class AttachGateTest {

    @Test
    void recorderPlayReleasesTheHeldPublish() {
        AttachGate gate = new AttachGate();
        gate.expect("live", "demo", Set.of("recorder"));
        CompletableFuture.runAsync(() -> gate.attached("live", "demo", "recorder"));
        assertThat(gate.await("live", "demo", Duration.ofSeconds(30))).isEmpty();
    }

    @Test
    void everyExpectedRoleMustAttach() {
        AttachGate gate = new AttachGate();
        gate.expect("live", "demo", Set.of("recorder", "transcoder"));
        gate.attached("live", "demo", "recorder");
        gate.attached("live", "demo", "viewer");
        assertThat(gate.await("live", "demo", Duration.ofMillis(50))).containsExactly("transcoder");

        gate.expect("live", "demo", Set.of("recorder", "transcoder"));
        CompletableFuture.runAsync(() -> {
            gate.attached("live", "demo", "transcoder");
            gate.attached("live", "demo", "recorder");
        });
        assertThat(gate.await("live", "demo", Duration.ofSeconds(30))).isEmpty();
    }

    @Test
    void noRecorderMeansTheWaitEndsUnattached() {
        AttachGate gate = new AttachGate();
        gate.expect("live", "demo", Set.of("recorder"));
        gate.attached("live", "other", "recorder");
        assertThat(gate.await("live", "demo", Duration.ofMillis(50))).containsExactly("recorder");
        assertThat(gate.await("live", "never-expected", Duration.ofMillis(50))).isNotEmpty();
    }
}
