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

    /** The default of {@link #cursorSecret()}: for the local stack and tests. */
    String LOCAL_CURSOR_SECRET = "tapedeck-local-cursor-secret";

    /**
     * Signs listing cursors, so that a client cannot alter one; the same on every replica (any replica answers any
     * page). Set your own in production (the k8s manifests take it from the Secret vod-api).
     */
    @WithDefault(LOCAL_CURSOR_SECRET)
    String cursorSecret();

    /** How long a listing cursor stays valid. */
    @WithDefault("24h")
    Duration cursorLifetime();

    /** Delivery modes. */
    enum Delivery { PROXY, REDIRECT }
}
