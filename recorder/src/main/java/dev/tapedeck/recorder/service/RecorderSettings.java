package dev.tapedeck.recorder.service;

import java.time.Duration;

/**
 * The recorder's rules in plain values (from {@link dev.tapedeck.recorder.config.RecorderConfig}).
 *
 * @param mediaServerUrl  {@code rtmp://127.0.0.1:1935}
 * @param sliceLength     slice length in stream time
 * @param readTimeout     a pull that receives nothing this long ends
 * @param stopGrace       after an unpublish, how long in-flight media may still drain
 * @param maxRecordings   renditions pulled at once by this replica; more wait for a free pull
 * @param handoverTimeout how long handing a stream over may wait for its last slice's upload
 * @param idleTimeout     without an unpublish, a recording that got no media this long closes ({@code IDLE_TIMEOUT});
 *                        until then a pull whose input ended is opened again
 * @param reconnectDelay  pause before opening a pull again after its input ended without an unpublish
 * @param standbySlices   finished slices a standby keeps at most
 * @param standbyBytes    bytes of finished slices a standby keeps at most (per rendition)
 * @param noStandbyApps   apps whose streams get no standby here (their owner alone pulls them)
 */
public record RecorderSettings(String mediaServerUrl, Duration sliceLength, Duration readTimeout, Duration stopGrace,
        int maxRecordings, Duration handoverTimeout, Duration idleTimeout, Duration reconnectDelay, int standbySlices,
        long standbyBytes, java.util.Set<String> noStandbyApps) {

    public RecorderSettings {
        noStandbyApps = java.util.Set.copyOf(noStandbyApps);
    }

    /** These settings, with no standby for the streams of {@code apps}. */
    public RecorderSettings withNoStandbyApps(java.util.Set<String> apps) {
        return new RecorderSettings(mediaServerUrl, sliceLength, readTimeout, stopGrace, maxRecordings, handoverTimeout, idleTimeout,
                reconnectDelay, standbySlices, standbyBytes, apps);
    }

    /**
     * Whether streams of this session get a standby: not those of an app in {@link #noStandbyApps} (a rung by its
     * source's app).
     */
    public boolean standsBy(dev.tapedeck.contract.event.StreamPublished p) {
        String key = p.derived() && p.sourceStreamKey() != null ? p.sourceStreamKey() : p.streamKey();
        String app;
        try {
            app = dev.tapedeck.contract.StreamKey.parse(key).app();
        } catch (IllegalArgumentException e) {
            app = p.app();
        }
        return !noStandbyApps.contains(app);
    }

    /** Settings of a replica that keeps the default standby bounds (tests). */
    public RecorderSettings(String mediaServerUrl, Duration sliceLength, Duration readTimeout, Duration stopGrace,
            int maxRecordings, Duration handoverTimeout, Duration idleTimeout, Duration reconnectDelay) {
        this(mediaServerUrl, sliceLength, readTimeout, stopGrace, maxRecordings, handoverTimeout, idleTimeout, reconnectDelay, 3,
                256L << 20, java.util.Set.of());
    }
}
