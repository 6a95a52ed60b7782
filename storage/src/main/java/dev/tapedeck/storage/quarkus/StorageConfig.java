package dev.tapedeck.storage.quarkus;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** Object storage settings shared by every service ({@code tapedeck.storage.*}). */
@ConfigMapping(prefix = "tapedeck.storage")
public interface StorageConfig {

    /** S3 endpoint URL, e.g. {@code http://minio.tapedeck.svc:9000}. */
    @WithDefault("http://127.0.0.1:9000")
    String endpoint();

    /** Access key id; comes from a Secret in a cluster. */
    Optional<String> accessKey();

    /** Secret key; comes from a Secret in a cluster. */
    Optional<String> secretKey();

    /** Bucket for recordings and replays; created when missing. */
    @WithDefault("tapedeck")
    String bucket();

    /** Region sent in signatures. */
    @WithDefault("us-east-1")
    String region();

    /** Path-style addressing ({@code http://host/bucket/key}); MinIO and S3Proxy want it. */
    @WithDefault("true")
    boolean pathStyle();

    /** Multipart part size in MiB for file uploads. */
    @WithDefault("16")
    int partSizeMib();
}
