package dev.tapedeck.recorder.service;

import dev.tapedeck.contract.event.RecordingClosed;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The recorder's progress as Prometheus metrics ({@code /q/metrics}). */
final class RecorderMetrics {
    private final MeterRegistry registry;
    private final Counter slices;
    private final Counter bytes;
    private final Counter mediaSeconds;
    private final Counter uploadFailures;

    RecorderMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.slices = registry.counter("tapedeck.recorder.slices.stored");
        this.bytes = registry.counter("tapedeck.recorder.slice.bytes");
        this.mediaSeconds = registry.counter("tapedeck.recorder.media.seconds");
        this.uploadFailures = registry.counter("tapedeck.recorder.upload.failures");
    }

    void sliceStored(long size, long durationMillis) {
        slices.increment();
        bytes.increment(size);
        mediaSeconds.increment(durationMillis / 1000.0);
    }

    void uploadFailed() {
        uploadFailures.increment();
    }

    void closed(RecordingClosed.Reason reason) {
        registry.counter("tapedeck.recorder.recordings.closed", "reason", reason.name()).increment();
    }
}
