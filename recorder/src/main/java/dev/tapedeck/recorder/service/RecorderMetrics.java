package dev.tapedeck.recorder.service;

import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.recorder.spool.Spool;
import dev.tapedeck.recorder.spool.SpoolEntry;
import dev.tapedeck.recorder.spool.Uploader;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;

/** The recorder's progress as Prometheus metrics ({@code /q/metrics}). */
public final class RecorderMetrics implements Uploader.Listener {
    private final MeterRegistry registry;
    private final Counter slices;
    private final Counter bytes;
    private final Counter mediaSeconds;
    private final Counter recorded;
    private final Counter uploadFailures;
    private final Counter conflicts;

    public RecorderMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.slices = registry.counter("tapedeck.recorder.slices.stored");
        this.bytes = registry.counter("tapedeck.recorder.slice.bytes");
        this.mediaSeconds = registry.counter("tapedeck.recorder.media.seconds");
        this.recorded = registry.counter("tapedeck.recorder.slices.recorded");
        this.uploadFailures = registry.counter("tapedeck.recorder.upload.failures");
        this.conflicts = registry.counter("tapedeck.recorder.slice.conflicts");
    }

    /** Spool size and age as gauges. */
    public void watch(Spool spool, Clock clock) {
        registry.gauge("tapedeck.recorder.spool.bytes", spool, Spool::bytes);
        registry.gauge("tapedeck.recorder.spool.slices", spool, Spool::count);
        registry.gauge("tapedeck.recorder.spool.oldest.seconds", spool, s -> s.oldestAgeSeconds(clock.instant()));
    }

    void sliceRecorded(long durationMillis) {
        recorded.increment();
    }

    @Override
    public void stored(SpoolEntry entry, long size) {
        slices.increment();
        bytes.increment(size);
        mediaSeconds.increment(entry.durationMillis() / 1000.0);
    }

    /** Timestamp faults a pull corrected ({@code ROLLBACK}, {@code FORWARD_JUMP}, {@code WRAP}). */
    public void timestampFault(String kind, int n) {
        registry.counter("tapedeck.recorder.timestamp.faults", "kind", kind).increment(n);
    }

    /** A rendition whose pulls killed their replicas as often as allowed was closed FAILED instead of pulled again. */
    public void quarantinedInput() {
        registry.counter("tapedeck.recorder.inputs.quarantined").increment();
    }

    /** A slice was cut at the maximum duration or size, off the grid (keyframes too rare). */
    public void oversizeSlice() {
        registry.counter("tapedeck.recorder.slice.oversize").increment();
    }

    /** A standby became its stream's owner; {@code how} is {@code seamless} or {@code gap}. */
    void standbyPromoted(String how) {
        registry.counter("tapedeck.recorder.standby.takeovers", "continued", how).increment();
    }

    /** A pull whose input ended without an unpublish is opened again. */
    public void reconnected() {
        registry.counter("tapedeck.recorder.pull.reconnects").increment();
    }

    @Override
    public void conflict(SpoolEntry entry) {
        conflicts.increment();
    }

    /** A storage or broker call failed and will be retried. */
    public void retried(Throwable cause) {
        uploadFailures.increment();
    }

    void closed(RecordingClosed.Reason reason) {
        registry.counter("tapedeck.recorder.recordings.closed", "reason", reason.name()).increment();
    }

    MeterRegistry registry() {
        return registry;
    }
}
