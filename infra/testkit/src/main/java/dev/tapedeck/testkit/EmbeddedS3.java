package dev.tapedeck.testkit;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * A real S3-protocol server (S3Proxy over a plain directory) in this JVM. Buckets are directories and
 * objects are plain files under {@code dataDir}, so what a test or the local stack stored can be inspected.
 */
public final class EmbeddedS3 implements AutoCloseable {
    /** Credentials of the embedded server; local use only. */
    public static final String ACCESS_KEY = "tapedeck";
    public static final String SECRET_KEY = "tapedeck-local-secret";

    private volatile S3Proxy proxy;
    private final int port;
    private final Path dataDir;

    private EmbeddedS3(S3Proxy proxy, int port, Path dataDir) {
        this.proxy = proxy;
        this.port = port;
        this.dataDir = dataDir;
    }

    /** Starts the server on {@code port} (0 picks a free one), storing objects under {@code dataDir}. */
    public static EmbeddedS3 start(Path dataDir, int port) throws Exception {
        Files.createDirectories(dataDir);
        int p = port == 0 ? Ports.free() : port;
        return new EmbeddedS3(serve(dataDir, p), p, dataDir);
    }

    private static S3Proxy serve(Path dataDir, int port) throws Exception {
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(new FilesystemNio2BlobStore(dataDir.toAbsolutePath().toString()))
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        for (int i = 0; i < 200 && !"STARTED".equals(proxy.getState()); i++) {
            Thread.sleep(25);
        }
        if (!"STARTED".equals(proxy.getState())) {
            throw new IllegalStateException("S3 server did not start on port " + port + ": " + proxy.getState());
        }
        return proxy;
    }

    /** Makes the server unreachable, as an outage would; the objects stay. */
    public void stop() throws Exception {
        proxy.stop();
    }

    /** Serves again on the same port and directory after {@link #stop()}. */
    public void restart() throws Exception {
        proxy = serve(dataDir, port);
    }

    /** {@code http://127.0.0.1:port} */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The directory holding the buckets. */
    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
    }
}
