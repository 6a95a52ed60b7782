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

    /** Scratch directory for downloaded slices and fresh segments. */
    @WithDefault("${java.io.tmpdir}/tapedeck-packager/work")
    Path workDir();
}
