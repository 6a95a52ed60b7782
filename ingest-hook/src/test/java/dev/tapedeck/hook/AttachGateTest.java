package dev.tapedeck.hook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.hook.service.AttachGate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class AttachGateTest {

    @Test
    void recorderPlayReleasesTheHeldPublish() {
        AttachGate gate = new AttachGate();
        gate.expect("live", "demo");
        CompletableFuture.runAsync(() -> gate.attached("live", "demo"));
        assertThat(gate.await("live", "demo", Duration.ofSeconds(30))).isTrue();
    }

    @Test
    void noRecorderMeansTheWaitEndsUnattached() {
        AttachGate gate = new AttachGate();
        gate.expect("live", "demo");
        gate.attached("live", "other");
        assertThat(gate.await("live", "demo", Duration.ofMillis(50))).isFalse();
        assertThat(gate.await("live", "never-expected", Duration.ofMillis(50))).isFalse();
    }
}
