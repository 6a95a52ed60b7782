package dev.tapedeck.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapedeck.testkit.EmbeddedS3;
import dev.tapedeck.testkit.Ports;
import dev.tapedeck.testkit.TapedeckTestResource.TestServers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ObjectStoreIT {
    static ObjectStore store;

    @BeforeAll
    static void connect() {
        TestServers servers = TestServers.get();
        store = new ObjectStore(new StorageSettings(servers.s3().endpoint(), EmbeddedS3.ACCESS_KEY, EmbeddedS3.SECRET_KEY,
                "store-it-" + System.nanoTime(), "us-east-1", true, 5L * 1024 * 1024));
    }

    @AfterAll
    static void close() {
        store.close();
    }

    @Test
    void missingBucketIsCreatedOnFirstWrite() {
        store.putBytes("a/b.txt", "hello".getBytes(StandardCharsets.UTF_8), "text/plain");
        store.probe();
        assertThat(store.getBytes("a/b.txt")).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("hello"));
        assertThat(store.stat("a/b.txt")).hasValueSatisfying(o -> assertThat(o.size()).isEqualTo(5));
    }

    @Test
    void anImmutableObjectIsWrittenOnceAndNeverOverwritten(@TempDir Path dir) throws Exception {
        Path first = Files.writeString(dir.resolve("first.flv"), "first content");
        Path other = Files.writeString(dir.resolve("other.flv"), "other content");
        String sha = Sha256.of(first);
        String otherSha = Sha256.of(other);

        StoredObject stored = store.putFileOnce("once/000000.flv", first, "video/x-flv", sha);
        assertThat(stored.size()).isEqualTo(Files.size(first));
        assertThat(store.storedSha256("once/000000.flv")).isEqualTo(sha);
        // The same content again (a retry after a lost answer) is a success that writes nothing.
        assertThat(store.putFileOnce("once/000000.flv", first, "video/x-flv", sha).etag()).isEqualTo(stored.etag());

        assertThatThrownBy(() -> store.putFileOnce("once/000000.flv", other, "video/x-flv", otherSha))
                .isInstanceOf(ObjectConflictException.class)
                .hasMessageContaining("once/000000.flv").hasMessageContaining(sha).hasMessageContaining(otherSha);
        assertThat(store.getBytes("once/000000.flv")).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8))
                .isEqualTo("first content"));

        // An object written without the checksum in its metadata is compared by its content.
        store.putBytes("once/000001.flv", "plain".getBytes(StandardCharsets.UTF_8), "video/x-flv");
        assertThatThrownBy(() -> store.putFileOnce("once/000001.flv", other, "video/x-flv", otherSha))
                .isInstanceOf(ObjectConflictException.class).hasMessageContaining(Sha256.of(new java.io.ByteArrayInputStream(
                        "plain".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void anImmutableObjectWhoseChecksumDoesNotMatchItsFileIsRefusedAndNothingIsStored(@TempDir Path dir) throws Exception {
        // The upload signs the caller's SHA-256 instead of hashing the file again: the server must check the body.
        Path file = Files.writeString(dir.resolve("slice.flv"), "content that changed after it was hashed");
        String wrong = Sha256.of(new java.io.ByteArrayInputStream("what was hashed".getBytes(StandardCharsets.UTF_8)));

        assertThatThrownBy(() -> store.putFileOnce("once/000002.flv", file, "video/x-flv", wrong))
                .isInstanceOf(StorageException.class).hasMessageContaining("once/000002.flv");
        assertThat(store.stat("once/000002.flv")).isEmpty();

        StoredObject stored = store.putFileOnce("once/000002.flv", file, "video/x-flv", Sha256.of(file));
        assertThat(stored.size()).isEqualTo(Files.size(file));
        assertThat(stored.etag()).isEqualTo(store.stat("once/000002.flv").orElseThrow().etag());
        assertThat(stored.contentType()).isEqualTo("video/x-flv");
    }

    @Test
    void anImmutableObjectLargerThanAPartGoesUpAsMultipart(@TempDir Path dir) throws Exception {
        byte[] data = new byte[6 * 1024 * 1024 + 5];
        new Random(11).nextBytes(data);
        Path file = Files.write(dir.resolve("long-slice.flv"), data);
        String sha = Sha256.of(file);

        StoredObject stored = store.putFileOnce("once/000003.flv", file, "video/x-flv", sha);
        assertThat(stored.size()).isEqualTo(data.length);
        assertThat(stored.etag()).as("multipart ETag has a part count").contains("-2");
        assertThat(store.storedSha256("once/000003.flv")).isEqualTo(sha);
        assertThat(store.getBytes("once/000003.flv")).hasValueSatisfying(b -> assertThat(b).isEqualTo(data));
    }

    @Test
    void anImmutableObjectKeepsItsUserMetadataInOnePutAndAsMultipart(@TempDir Path dir) throws Exception {
        Path small = Files.write(dir.resolve("small.flv"), "twelve bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        byte[] data = new byte[6 * 1024 * 1024 + 5];
        new Random(13).nextBytes(data);
        Path large = Files.write(dir.resolve("large.flv"), data);

        String smallSha = Sha256.of(small);
        String largeSha = Sha256.of(large);
        store.putFileOnce("meta/000000.flv", small, "video/x-flv", smallSha, java.util.Map.of("first-dts", "4000", "duration", "4021"));
        store.putFileOnce("meta/000001.flv", large, "video/x-flv", largeSha, java.util.Map.of("first-dts", "8021"));

        assertThat(store.userMetadata("meta/000000.flv")).hasValueSatisfying(m -> assertThat(m)
                .containsEntry("first-dts", "4000").containsEntry("duration", "4021").containsEntry("sha256", smallSha));
        assertThat(store.userMetadata("meta/000001.flv")).hasValueSatisfying(m -> assertThat(m)
                .containsEntry("first-dts", "8021").containsEntry("sha256", largeSha));
        assertThat(store.userMetadata("meta/none.flv")).isEmpty();
    }

    @Test
    void aFileUpToThePartSizeGoesUpInOnePutAndComesBackIdentical(@TempDir Path dir) throws Exception {
        int size = 3 * 1024 * 1024 + 5;
        StoredObject stored = putRandomFileAndReadBack(dir, size, 11, "vod/r1/source/000001.ts", "video/mp2t");
        assertThat(stored.etag()).as("one PUT: no part count").doesNotContain("-");
        assertThat(store.stat(stored.key()).orElseThrow().size()).isEqualTo(size);
    }

    @Test
    void largeFileGoesUpAsMultipartAndComesBackIdentical(@TempDir Path dir) throws Exception {
        StoredObject stored = putRandomFileAndReadBack(dir, 12 * 1024 * 1024 + 17, 7, "recordings/live/x/r1/source/000000.flv", "video/x-flv");
        assertThat(stored.etag()).as("multipart ETag has a part count").contains("-3");
    }

    /** Uploads {@code size} random bytes with {@link ObjectStore#putFile}, checks the size stored and that a download gives them back. */
    private StoredObject putRandomFileAndReadBack(Path dir, int size, long seed, String key, String contentType) throws Exception {
        byte[] data = new byte[size];
        new Random(seed).nextBytes(data);
        Path file = dir.resolve("upload");
        Files.write(file, data);
        StoredObject stored = store.putFile(key, file, contentType);
        assertThat(stored.size()).isEqualTo(data.length);
        Path back = dir.resolve("back");
        store.download(stored.key(), back);
        assertThat(Files.readAllBytes(back)).isEqualTo(data);
        return stored;
    }

    @Test
    void listDeleteAndMissingObjects() {
        store.putBytes("list/1", new byte[1], "application/octet-stream");
        store.putBytes("list/sub/2", new byte[2], "application/octet-stream");
        assertThat(store.list("list/")).extracting(StoredObject::key).containsExactly("list/1", "list/sub/2");
        store.delete("list/1");
        store.delete("list/never-existed");
        assertThat(store.list("list/")).extracting(StoredObject::key).containsExactly("list/sub/2");
        assertThat(store.stat("list/1")).isEmpty();
        assertThat(store.getBytes("list/1")).isEmpty();
    }

    @Test
    void presignedGetWorksWithoutCredentials() throws Exception {
        store.putBytes("signed/x.m3u8", "#EXTM3U\n".getBytes(StandardCharsets.UTF_8), "application/vnd.apple.mpegurl");
        String url = store.presignedGet("signed/x.m3u8", Duration.ofMinutes(5));
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("#EXTM3U\n");
    }

    @Test
    void unreachableServerGivesAClearErrorNamingTheEndpoint() {
        String endpoint = "http://127.0.0.1:" + Ports.free();
        try (ObjectStore down = new ObjectStore(new StorageSettings(endpoint, "a", "b", "bucket"))) {
            assertThatThrownBy(down::probe)
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("not reachable")
                    .hasMessageContaining(endpoint);
        }
    }
}
