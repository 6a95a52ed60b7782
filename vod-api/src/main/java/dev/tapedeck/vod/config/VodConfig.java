package dev.tapedeck.vod.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** vod-api settings ({@code tapedeck.vod.*}). */
@ConfigMapping(prefix = "tapedeck.vod")
public interface VodConfig {

    /**
     * How playlists and segments reach viewers: {@code proxy} streams them through this service (same
     * origin, no bucket exposure); {@code redirect} answers 302 to a presigned URL of the object store.
     */
    @WithDefault("proxy")
    Delivery delivery();

    /** Lifetime of presigned URLs in {@code redirect} mode. */
    @WithDefault("1h")
    Duration presignExpiry();

    /** Delivery modes. */
    enum Delivery { PROXY, REDIRECT }
}
