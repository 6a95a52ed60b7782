package dev.tapedeck.vod.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

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

    /**
     * Who may call {@code /api/*}: {@code none} (anyone who reaches the port: the local stack, with a warning at
     * start) or {@code keys} (a bearer key from {@link #apiKeysFile()}; the Kubernetes manifests set it).
     */
    @WithDefault("none")
    ApiAuth apiAuth();

    /**
     * With {@code api-auth=keys}: lines {@code <key> read|admin}, read again when the file changes. {@code read} may
     * list and read; {@code admin} may also change (PATCH, DELETE).
     */
    Optional<Path> apiKeysFile();

    /** How long recordings are kept. */
    Retention retention();

    /** Retention: recordings that started longer ago than their app's age are deleted, objects and all. */
    interface Retention {
        /** The age for apps without one of their own ({@code 30d}); none by default: kept forever. */
        @WithName("default")
        Optional<Duration> defaultAge();

        /** An age per app ({@code tapedeck.vod.retention.apps.live=7d}); it wins over the default. */
        Map<String, Duration> apps();

        /** How often a sweep runs (on one replica at a time). */
        @WithDefault("1h")
        Duration interval();

        /** Recordings deleted per batch; a sweep goes on batch after batch until nothing has expired. */
        @WithDefault("100")
        int batch();
    }

    /** Delivery modes. */
    enum Delivery { PROXY, REDIRECT }

    /** API authentication modes. */
    enum ApiAuth { NONE, KEYS }
}
