package dev.tapedeck.recorder.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** recorder settings ({@code tapedeck.recorder.*}). */
@ConfigMapping(prefix = "tapedeck.recorder")
public interface RecorderConfig {

    /** RTMP base URL the recorder pulls streams from: {@code rtmp://srs.tapedeck.svc:1935}. */
    @WithDefault("rtmp://127.0.0.1:1935")
    String mediaServerUrl();

    /** Slice length in stream time; a slice ends at the first keyframe after it. */
    @WithDefault("180s")
    Duration sliceLength();

    /**
     * Local directory slices are written to before upload; a file leaves it only once stored and announced. On
     * Kubernetes a volume, so a restarted container uploads what its predecessor left.
     */
    @WithDefault("${java.io.tmpdir}/tapedeck-recorder/spool")
    Path spoolDir();

    /** A pull that receives nothing for this long is treated as ended. */
    @WithDefault("15s")
    Duration readTimeout();

    /**
     * After an unpublish, the longest the pull may still run to drain what is in flight; it stops sooner, as soon as
     * no packet came for 500 ms.
     */
    @WithDefault("2s")
    Duration stopGrace();

    /**
     * Without an unpublish, a recording that receives no media this long closes with {@code IDLE_TIMEOUT} (the media
     * server died, the network broke). Until then a pull whose input ended is opened again.
     */
    @WithDefault("30s")
    Duration idleTimeout();

    /**
     * A DTS that steps forward by more than this is a timestamp fault: the stream continues right after the last
     * timestamp, in a new slice marked as a discontinuity (as does a DTS that goes back).
     */
    @WithDefault("10s")
    java.time.Duration timestampJump();

    /**
     * With keyframes too rare for the slice grid, a slice longer than this is cut at the next keyframe (a warning is
     * logged and counted). Unset: twice the slice length.
     */
    java.util.Optional<java.time.Duration> maxSliceDuration();

    /** As is a slice larger than this. */
    @WithDefault("1G")
    MemorySize maxSliceSize();

    /** Pause before opening a pull again when its input ended without an unpublish. */
    @WithDefault("1s")
    Duration reconnectDelay();

    /** How long the recorder waits for its streams to finish their slices when it shuts down. */
    @WithDefault("30s")
    Duration shutdownTimeout();

    /**
     * Slices uploaded at once, each rendition's in order: slices that many streams finish at the same moment go up
     * side by side.
     */
    @WithDefault("4")
    int uploadThreads();

    /** Renditions this replica pulls at once; a stream beyond it waits for a free pull (and shows in a metric). */
    @WithDefault("64")
    int maxRecordings();

    /** Consumer group of the recorder pool over the live registry; every replica of one pool uses the same. */
    @WithDefault("tapedeck-recorder")
    String groupId();

    /** How long the pool waits for a replica that went silent (killed, partitioned) before its streams move to another. */
    @WithDefault("10s")
    Duration sessionTimeout();

    /** How long handing a stream to another replica may wait for the upload of its last slice. */
    @WithDefault("20s")
    Duration handoverTimeout();

    /** Spool size above which readiness fails ("spool above its high-water mark"), before any disk runs full. */
    @WithDefault("4G")
    MemorySize spoolHighWater();

    /** First delay before a failed upload or announcement is retried; it doubles up to the maximum, without a retry limit. */
    @WithDefault("500ms")
    Duration retryDelay();

    /** Longest delay between two retries of a failed upload or announcement. */
    @WithDefault("30s")
    Duration retryMaxDelay();

    /**
     * How many times a rendition's pulls may kill their replica, each while no other pull there was at risk, before its
     * recording is closed FAILED instead of pulled again: no input can crash-loop the pool.
     */
    @WithDefault("2")
    int crashLimit();

    /** How long after it begins a pull is at risk: a replica that dies meanwhile may have died of it. */
    @WithDefault("10s")
    Duration crashWindow();

    /**
     * Replicas that pull each live stream: 2, its owner and a standby on another replica that keeps the last slices and
     * takes over without a gap when the owner dies; 1, its owner alone (a takeover then loses the slice in progress and
     * the time to the takeover). With one replica in the pool there is no standby whatever this says.
     */
    @WithDefault("2")
    int redundancy();

    /**
     * Apps whose streams get no standby when {@link #redundancy()} is 2 (test channels, streams not worth the second
     * pull): their owner alone pulls them, and a takeover loses the slice in progress, as with redundancy 1. A rung
     * counts as its source's app. Every replica of the pool should say the same.
     */
    Optional<List<String>> noStandbyApps();

    /**
     * The node (or zone) this replica runs on, sent to the pool's group as its rack: a stream's standby is placed on a
     * replica of another node where the pool has one, so that losing a node loses no stream's both pulls. The k8s
     * manifests set it from the pod's node name; unset, any other replica will do.
     */
    Optional<String> node();

    /** Finished slices a standby keeps per rendition (the owner's slices not yet stored when it dies come from these). */
    @WithDefault("3")
    int standbySlices();

    /** Bytes of finished slices a standby keeps per rendition at most (the newest slice is kept whatever its size). */
    @WithDefault("512M")
    MemorySize standbyBytes();

    /**
     * Test only: a replica halts (as a crash in native code would) when it begins a pull of a stream whose key matches this
     * regular expression. Unset in every deployment.
     */
    java.util.Optional<java.util.regex.Pattern> haltOnStream();
}
