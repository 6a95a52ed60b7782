package dev.tapedeck.storage;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.Http;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.UploadObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/** Tapedeck's object store: one bucket on an S3-compatible server, reached with the MinIO SDK. */
public class ObjectStore implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ObjectStore.class);
    private static final Set<String> NOT_FOUND = Set.of("NoSuchKey", "NoSuchBucket", "NoSuchObject", "NotFound");

    private final MinioClient client;
    /** The same server through the SDK's lower-level API: single PUTs that carry a SHA-256 computed by the caller. */
    private final io.minio.MinioAsyncClient asyncClient;
    private final StorageSettings settings;
    private volatile boolean bucketChecked;

    public ObjectStore(StorageSettings settings) {
        this.settings = settings;
        okhttp3.OkHttpClient http = httpClient(settings.endpoint());
        MinioClient.Builder builder = MinioClient.builder().endpoint(settings.endpoint()).httpClient(http);
        io.minio.MinioAsyncClient.Builder asyncBuilder = io.minio.MinioAsyncClient.builder().endpoint(settings.endpoint()).httpClient(http);
        if (settings.accessKey() != null && !settings.accessKey().isEmpty()) {
            builder.credentials(settings.accessKey(), settings.secretKey());
            asyncBuilder.credentials(settings.accessKey(), settings.secretKey());
        }
        if (settings.region() != null && !settings.region().isEmpty()) {
            builder.region(settings.region());
            asyncBuilder.region(settings.region());
        }
        this.client = builder.build();
        this.asyncClient = asyncBuilder.build();
        if (settings.pathStyle()) {
            client.disableVirtualStyleEndpoint();
            asyncClient.disableVirtualStyleEndpoint();
        } else {
            client.enableVirtualStyleEndpoint();
            asyncClient.enableVirtualStyleEndpoint();
        }
        // Fail fast when the server is down instead of hanging a hook or a health check.
        client.setTimeout(Duration.ofSeconds(5).toMillis(), Duration.ofSeconds(60).toMillis(), Duration.ofSeconds(60).toMillis());
        asyncClient.setTimeout(Duration.ofSeconds(5).toMillis(), Duration.ofSeconds(60).toMillis(), Duration.ofSeconds(60).toMillis());
    }

    /**
     * One HTTP client for both MinIO clients. Over TLS it is MinIO's default, which trusts the certificates that
     * {@code SSL_CERT_FILE}/{@code SSL_CERT_DIR} name; over plain HTTP the same client without reading them (with
     * {@code SSL_CERT_DIR=/etc/ssl/certs} that parses every certificate of the system, several seconds at a cold start,
     * twice without the sharing, and blocks the first storage call).
     */
    private static okhttp3.OkHttpClient httpClient(String endpoint) {
        if (endpoint.regionMatches(true, 0, "https:", 0, 6)) {
            return io.minio.Http.newDefaultClient();
        }
        return new okhttp3.OkHttpClient.Builder().protocols(java.util.List.of(okhttp3.Protocol.HTTP_1_1))
                .addInterceptor(new io.minio.Http.StatusRetryInterceptor()).build();
    }

    public String bucket() {
        return settings.bucket();
    }

    /** Creates the bucket when it does not exist yet. Safe to call concurrently and repeatedly. */
    public void ensureBucket() {
        if (bucketChecked) {
            return;
        }
        call("create bucket", "", () -> {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket()).build())) {
                try {
                    client.makeBucket(MakeBucketArgs.builder().bucket(bucket()).build());
                    LOG.infof("created bucket %s at %s", bucket(), settings.endpoint());
                } catch (ErrorResponseException e) {
                    String code = e.errorResponse().code();
                    if (!"BucketAlreadyOwnedByYou".equals(code) && !"BucketAlreadyExists".equals(code)) {
                        throw e;
                    }
                }
            }
            return null;
        });
        bucketChecked = true;
    }

    /** Checks that the server answers and the bucket exists; throws a StorageException saying what is wrong. */
    public void probe() {
        boolean exists = call("check bucket", "", () -> client.bucketExists(BucketExistsArgs.builder().bucket(bucket()).build()));
        if (!exists) {
            throw new StorageException("bucket '" + bucket() + "' does not exist at " + settings.endpoint(), null, true);
        }
    }

    /**
     * Uploads a file, streamed from disk, in one signed PUT carrying its SHA-256 (the file is read once to hash it, and
     * no HEAD follows); files larger than the part size go up as a multipart upload.
     */
    public StoredObject putFile(String key, Path file, String contentType) {
        ensureBucket();
        return call("put", key, () -> {
            UploadObjectArgs args = UploadObjectArgs.builder().bucket(bucket()).object(key)
                    .filename(file.toString(), settings.partSize()).contentType(contentType).checksum(UPLOAD_CHECKSUM).build();
            if (args.objectSize() > settings.partSize()) {
                client.uploadObject(args);
                return stat(key).orElseThrow();
            }
            return putSigned(args, file, Sha256.of(file));
        });
    }

    /**
     * The checksum sent with file uploads: CRC32 (the JDK's, hardware-accelerated) rather than the SDK's default CRC32C,
     * which it computes a byte at a time in Java and which was the largest CPU cost of recording (infra/bench/record.sh).
     */
    static final io.minio.Checksum.Algorithm UPLOAD_CHECKSUM = io.minio.Checksum.Algorithm.CRC32;

    /** User metadata under which {@link #putFileOnce} records an object's SHA-256. */
    public static final String SHA256_METADATA = "sha256";

    /**
     * Uploads a file that must never change once stored: checks before the put. When the key already holds
     * the same content (a retry, a redelivery) nothing is written and the stored object is returned; when it
     * holds different content an {@link ObjectConflictException} names both checksums and nothing is written.
     * The SHA-256 goes into the object's user metadata, so later checks need no download.
     *
     * @param sha256 hex SHA-256 of {@code file}
     */
    public StoredObject putFileOnce(String key, Path file, String contentType, String sha256) {
        return putFileOnce(key, file, contentType, sha256, java.util.Map.of());
    }

    /**
     * Like {@link #putFileOnce(String, Path, String, String)}, with more user metadata stored beside the SHA-256 (what a
     * reader needs to know of the object without downloading it, {@link #userMetadata}).
     */
    public StoredObject putFileOnce(String key, Path file, String contentType, String sha256, java.util.Map<String, String> metadata) {
        Optional<StoredObject> existing = stat(key);
        if (existing.isPresent()) {
            String stored = storedSha256(key);
            if (stored.equalsIgnoreCase(sha256)) {
                LOG.debugf("%s is already stored with the same content", key);
                return existing.get();
            }
            throw new ObjectConflictException("refusing to overwrite " + bucket() + "/" + key + ": it holds different content (stored sha256 "
                    + stored + ", new sha256 " + sha256 + ")", stored, sha256);
        }
        ensureBucket();
        return call("put", key, () -> {
            UploadObjectArgs args = UploadObjectArgs.builder().bucket(bucket()).object(key)
                    .filename(file.toString(), settings.partSize()).contentType(contentType).checksum(UPLOAD_CHECKSUM)
                    .userMetadata(withSha256(metadata, sha256)).build();
            if (args.objectSize() > settings.partSize()) {
                client.uploadObject(args);
                return stat(key).orElseThrow();
            }
            return putSigned(args, file, sha256);
        });
    }

    /**
     * One PUT whose signature and {@code x-amz-checksum-sha256} carry the caller's SHA-256, so the file is not hashed
     * again: the SDK's own upload reads a file twice more before sending it over plain HTTP (its checksum and the
     * payload hash it signs), which was the largest cost of uploading slices (infra/bench/record.sh). The server
     * still checks the body against the hash.
     */
    private StoredObject putSigned(UploadObjectArgs args, Path file, String sha256) throws Exception {
        byte[] sum = java.util.HexFormat.of().parseHex(sha256);
        Http.Headers checksum = new Http.Headers();
        checksum.put(Http.Headers.X_AMZ_CONTENT_SHA256, sha256.toLowerCase(java.util.Locale.ROOT));
        checksum.put(Http.Headers.X_AMZ_CHECKSUM_SHA256, java.util.Base64.getEncoder().encodeToString(sum));
        checksum.put(Http.Headers.X_AMZ_SDK_CHECKSUM_ALGORITHM, io.minio.Checksum.Algorithm.SHA256.toString());
        long size = args.objectSize();
        try (java.io.RandomAccessFile in = new java.io.RandomAccessFile(file.toFile(), "r")) {
            io.minio.ObjectWriteResponse response;
            try {
                response = asyncClient.putObject(new io.minio.PutObjectAPIArgs(args, in, size, args.contentType(), checksum)).get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
            return new StoredObject(args.object(), size, response.etag(), args.contentType().toString(), null);
        }
    }

    private static java.util.Map<String, String> withSha256(java.util.Map<String, String> metadata, String sha256) {
        java.util.Map<String, String> all = new java.util.TreeMap<>(metadata);
        all.put(SHA256_METADATA, sha256);
        return all;
    }

    /** An object's user metadata (names in lower case, without the {@code x-amz-meta-} prefix); empty when it does not exist. */
    public Optional<java.util.Map<String, String>> userMetadata(String key) {
        try {
            StatObjectResponse r = call("stat", key, () -> client.statObject(StatObjectArgs.builder().bucket(bucket()).object(key).build()));
            java.util.Map<String, String> out = new java.util.TreeMap<>();
            for (java.util.Map.Entry<String, String> e : r.userMetadata()) {
                out.putIfAbsent(e.getKey().toLowerCase(java.util.Locale.ROOT), e.getValue());
            }
            return Optional.of(out);
        } catch (StorageException e) {
            if (e.notFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The SHA-256 of a stored object: from its metadata when {@link #putFileOnce} wrote it, else by reading it. */
    public String storedSha256(String key) {
        String fromMetadata = call("stat", key, () -> client.statObject(StatObjectArgs.builder().bucket(bucket()).object(key).build())
                .userMetadata().getFirst(SHA256_METADATA));
        if (fromMetadata != null && !fromMetadata.isBlank()) {
            return fromMetadata;
        }
        try (InputStream in = get(key)) {
            return Sha256.of(in);
        } catch (IOException e) {
            throw new StorageException("get " + bucket() + "/" + key + " failed while reading: " + e.getMessage(), e, false);
        }
    }

    /** Uploads bytes as one object. */
    public void putBytes(String key, byte[] data, String contentType) {
        ensureBucket();
        call("put", key, () -> client.putObject(PutObjectArgs.builder().bucket(bucket()).object(key)
                .data(data, data.length).contentType(contentType).checksum(UPLOAD_CHECKSUM).build()));
    }

    /** Opens an object for reading; the caller closes the stream. */
    public InputStream get(String key) {
        return call("get", key, () -> client.getObject(GetObjectArgs.builder().bucket(bucket()).object(key).build()));
    }

    /** Reads a whole object; empty when it does not exist. */
    public Optional<byte[]> getBytes(String key) {
        try (InputStream in = get(key)) {
            return Optional.of(in.readAllBytes());
        } catch (StorageException e) {
            if (e.notFound()) {
                return Optional.empty();
            }
            throw e;
        } catch (IOException e) {
            throw new StorageException("get " + bucket() + "/" + key + " failed while reading: " + e.getMessage(), e, false);
        }
    }

    /** Downloads an object to a file. */
    public void download(String key, Path target) {
        try (InputStream in = get(key)) {
            Files.copy(in, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("download " + bucket() + "/" + key + " to " + target + " failed", e);
        }
    }

    /** The object's metadata; empty when it does not exist. */
    public Optional<StoredObject> stat(String key) {
        try {
            StatObjectResponse r = call("stat", key, () -> client.statObject(StatObjectArgs.builder().bucket(bucket()).object(key).build()));
            return Optional.of(new StoredObject(key, r.size(), r.etag(), r.contentType(),
                    r.lastModified() == null ? null : r.lastModified().toInstant()));
        } catch (StorageException e) {
            if (e.notFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Every object under {@code prefix}, recursively, in key order. */
    public List<StoredObject> list(String prefix) {
        return call("list", prefix, () -> {
            List<StoredObject> out = new ArrayList<>();
            for (Result<Item> result : client.listObjects(ListObjectsArgs.builder().bucket(bucket()).prefix(prefix).recursive(true).build())) {
                Item item = result.get();
                if (!item.isDir()) {
                    out.add(new StoredObject(item.objectName(), item.size(), item.etag(), null,
                            item.lastModified() == null ? null : item.lastModified().toInstant()));
                }
            }
            return out;
        });
    }

    /** Deletes an object; deleting a missing object is not an error. */
    public void delete(String key) {
        call("delete", key, () -> {
            client.removeObject(RemoveObjectArgs.builder().bucket(bucket()).object(key).build());
            return null;
        });
    }

    /** A URL anyone can GET the object with until it expires. */
    public String presignedGet(String key, Duration expiry) {
        return call("presign", key, () -> client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                .method(Http.Method.GET).bucket(bucket()).object(key)
                .expiry((int) expiry.toSeconds(), TimeUnit.SECONDS).build()));
    }

    @Override
    public void close() {
        try {
            asyncClient.close();
            client.close();
        } catch (Exception e) {
            LOG.debugf(e, "closing the MinIO client");
        }
    }

    private <T> T call(String op, String key, Op<T> body) {
        try {
            return body.run();
        } catch (ErrorResponseException e) {
            String code = e.errorResponse() == null ? "?" : e.errorResponse().code();
            throw new StorageException(op + " " + bucket() + "/" + key + " failed: " + code + " "
                    + (e.errorResponse() == null ? "" : e.errorResponse().message()), e, NOT_FOUND.contains(code));
        } catch (StorageException e) {
            throw e;
        } catch (Exception e) {
            throw new StorageException(op + " " + bucket() + "/" + key + " failed: object store at " + settings.endpoint()
                    + " is not reachable (" + rootMessage(e) + ")", e, false);
        }
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    @FunctionalInterface
    private interface Op<T> {
        T run() throws Exception;
    }
}
