package dev.tapedeck.packager.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/** packager settings ({@code tapedeck.packager.*}). */
@ConfigMapping(prefix = "tapedeck.packager")
public interface PackagerConfig {

    /** HLS target segment duration; segments are cut at the first keyframe after it. */
    @WithDefault("6s")
    Duration segmentDuration();

    /**
     * Segment format of the replays this deployment packages: {@code ts} (MPEG-TS) or {@code fmp4} (fragmented MP4, CMAF:
     * {@code init.mp4} and {@code .m4s} segments, {@code EXT-X-MAP}). A recording keeps the format it was started with.
     */
    @WithDefault("ts")
    dev.tapedeck.packager.media.SegmentFormat segmentFormat();

    /** Scratch directory for downloaded slices and fresh segments. */
    @WithDefault("${java.io.tmpdir}/tapedeck-packager/work")
    Path workDir();

    /** How many recordings are packaged at once; events of one recording are always handled one after the other. */
    @WithDefault("4")
    int workers();

    /** Events handed to the workers and not finished yet; the consumer waits for a free place beyond it. */
    @WithDefault("256")
    int maxInFlight();

    /**
     * How long after the source closed the other renditions (rungs) may take to close; one that has not is left out
     * of the master playlist, with the reason, and the replay is declared complete without it.
     */
    @WithDefault("60s")
    Duration renditionTimeout();

    /**
     * How long a slice that came before an earlier one (or a close naming slices not yet seen) waits for the earlier one;
     * one that has not come by then becomes a gap.
     */
    @WithDefault("30s")
    Duration orderWait();

    /**
     * The shortest time between two saves of a recording's manifest: changes made meanwhile are saved together (a status
     * change is saved at once). An event is acknowledged once a saved manifest includes it, so this also delays
     * acknowledgements; after a crash, the events since the last save are handled again. 0s: saved on every change.
     */
    @WithDefault("5s")
    Duration manifestInterval();

    /** Storage and broker errors: the first retry waits this long, each next one twice as long. */
    @WithDefault("500ms")
    Duration retryDelay();

    /** The longest wait between two retries; retries go on until the call succeeds. */
    @WithDefault("15s")
    Duration retryMaxDelay();

    /** One thumbnail of the source per this much stream time (its first keyframe at or after each multiple); 0s: no pictures. */
    @WithDefault("10s")
    Duration thumbnailInterval();

    /** Thumbnail width in pixels; the height keeps the picture's aspect. */
    @WithDefault("160")
    int thumbnailWidth();

    /** Thumbnails per row of a sprite sheet (one sheet per source slice). */
    @WithDefault("5")
    int thumbnailColumns();

    /** The poster's largest width in pixels (the recording's first thumbnail picture; a smaller picture keeps its size). */
    @WithDefault("640")
    int posterWidth();

    /**
     * How many times the native work on one slice (remuxing, pictures) may end with the process dying before the slice is
     * left out as a gap (cause {@code crashed}) instead of being tried again: no slice can crash-loop the packager.
     */
    @WithDefault("2")
    int crashLimit();

    /**
     * Test only: the process halts (as a crash in native code would) when native work starts on a slice whose object key
     * matches this regular expression. Unset in every deployment.
     */
    java.util.Optional<java.util.regex.Pattern> haltOnSlice();
}
