package dev.tapedeck.storage;

import java.util.Objects;

/**
 * Where and how to reach the S3-compatible object store.
 *
 * @param endpoint  {@code http://127.0.0.1:9000}
 * @param accessKey access key id
 * @param secretKey secret key
 * @param bucket    the bucket Tapedeck writes into; created when missing
 * @param region    {@code us-east-1}
 * @param pathStyle true for {@code http://host/bucket/key} (MinIO, S3Proxy), false for virtual-host style
 * @param partSize  multipart part size in bytes for file uploads (≥ 5 MiB)
 */
public record StorageSettings(String endpoint, String accessKey, String secretKey, String bucket, String region,
        boolean pathStyle, long partSize) {

    public static final long DEFAULT_PART_SIZE = 16L * 1024 * 1024;

    public StorageSettings {
        Objects.requireNonNull(endpoint, "storage endpoint");
        Objects.requireNonNull(bucket, "storage bucket");
        if (partSize < 5L * 1024 * 1024) {
            throw new IllegalArgumentException("multipart part size must be at least 5 MiB, got " + partSize);
        }
    }

    public StorageSettings(String endpoint, String accessKey, String secretKey, String bucket) {
        this(endpoint, accessKey, secretKey, bucket, "us-east-1", true, DEFAULT_PART_SIZE);
    }
}
