package dev.tapedeck.recorder.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/** recorder settings ({@code tapedeck.recorder.*}). */
@ConfigMapping(prefix = "tapedeck.recorder")
public interface RecorderConfig {

    /** RTMP base URL the recorder pulls streams from: {@code rtmp://srs.tapedeck.svc:1935}. */
    @WithDefault("rtmp://127.0.0.1:1935")
    String mediaServerUrl();

    /** Slice length in stream time; a slice ends at the first keyframe after it. */
    @WithDefault("180s")
    Duration sliceLength();

    /** Local directory slices are written to before upload; a file leaves it only once stored. */
    @WithDefault("${java.io.tmpdir}/tapedeck-recorder/spool")
    Path spoolDir();

    /** A pull that receives nothing for this long is treated as ended. */
    @WithDefault("15s")
    Duration readTimeout();

    /** After an unpublish, how long the pull may still run to drain what is in flight before it is stopped. */
    @WithDefault("10s")
    Duration stopGrace();

    /** How long the recorder waits for its streams to finish their slices when it shuts down. */
    @WithDefault("30s")
    Duration shutdownTimeout();
}
