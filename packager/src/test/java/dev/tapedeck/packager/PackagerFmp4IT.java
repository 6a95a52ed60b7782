package dev.tapedeck.packager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.storage.StoredObject;
import dev.tapedeck.testkit.FlvTags;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TapedeckTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The packager of a deployment that writes fragmented MP4 (CMAF) segments. */
@QuarkusTest
@TestProfile(PackagerFmp4IT.Fmp4.class)
@QuarkusTestResource(TapedeckTestResource.class)
class PackagerFmp4IT extends PackagerTestSupport {

    public static class Fmp4 implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tapedeck.packager.segment-format", "fmp4");
        }
    }

    @Test
    void aReplayInFmp4DecodesFullyAndOneInitSectionServesEverySegmentOfARendition() throws Exception {
        String id = Ids.uuid7();
        Path dir = Files.createTempDirectory("fmp4");
        MediaTools.makeFlv(dir.resolve("source.flv"), 640, 360, 30, 24);
        MediaTools.makeFlv(dir.resolve("rung.flv"), 320, 180, 30, 24);
        long[][] cuts = {{0, 12_000}, {12_000, 60_000}};
        for (String rendition : List.of("source", "180p")) {
            List<FlvTags.Tag> tags = FlvTags.read(dir.resolve(rendition.equals("source") ? "source.flv" : "rung.flv"));
            for (int seq = 0; seq < 2; seq++) {
                Path slice = dir.resolve(rendition + seq + ".flv");
                FlvTags.write(slice, cut(tags, cuts[seq][0], cuts[seq][1]));
                store.putFile(StorageKeys.slice(KEY, id, rendition, seq), slice, "video/x-flv");
            }
        }
        long ms = Math.round(MediaTools.duration(dir.resolve("source.flv").toString()) * 1000);

        send(Topics.STREAMS, KEY.toString(), published(id, false, "source"));
        send(Topics.STREAMS, KEY.toString(), published(id, true, "180p"));
        for (String rendition : List.of("source", "180p")) {
            send(Topics.sliceKey(id, rendition), slice(id, rendition, 0, StorageKeys.slice(KEY, id, rendition, 0), 0, 12_000));
            send(Topics.sliceKey(id, rendition), slice(id, rendition, 1, StorageKeys.slice(KEY, id, rendition, 1), 12_000, ms - 12_000));
            send(Topics.sliceKey(id, rendition), new RecordingClosed(id, KEY.toString(), rendition, 1, 2, ms,
                    RecordingClosed.Reason.UNPUBLISHED, null, Instant.now()));
        }
        assertThat(awaitComplete(id).status()).isEqualTo(CatalogEntry.Status.READY);
        // The replay as a player gets it, from the bucket to a directory with the same layout.
        String prefix = StorageKeys.vodDir(id);
        List<StoredObject> objects = store.list(prefix);
        for (StoredObject o : objects) {
            Path local = dir.resolve("vod").resolve(o.key().substring(prefix.length()));
            Files.createDirectories(local.getParent());
            store.download(o.key(), local);
        }
        for (String rendition : List.of("source", "180p")) {
            Path playlist = dir.resolve("vod").resolve(rendition).resolve("index.m3u8");
            String text = Files.readString(playlist, StandardCharsets.UTF_8);
            var parsed = new io.lindstrom.m3u8.parser.MediaPlaylistParser().readPlaylist(text);
            assertThat(parsed.version()).contains(7);
            assertThat(parsed.mediaSegments()).hasSize(4).allSatisfy(s -> assertThat(s.uri()).endsWith(".m4s"));
            assertThat(text.lines().filter(l -> l.startsWith("#EXT-X-MAP"))).as("one init section for the rendition")
                    .containsExactly("#EXT-X-MAP:URI=\"init.mp4\"");
            assertThat(objects).extracting(StoredObject::key).filteredOn(k -> k.startsWith(prefix + rendition + "/init"))
                    .containsExactly(prefix + rendition + "/init.mp4");
            assertThat(MediaTools.decodeErrors(playlist.toString())).as(rendition).isEmpty();
            assertThat(MediaTools.probe(playlist.toString(), "-count_packets", "-select_streams", "v:0", "-show_entries",
                    "stream=nb_read_packets")).as(rendition).isNotEmpty().containsOnly(String.valueOf(24 * 30));
        }
        String master = Files.readString(dir.resolve("vod").resolve("master.m3u8"));
        assertThat(master).contains("source/index.m3u8").contains("180p/index.m3u8").contains("avc1.").contains("mp4a.40.2");
    }
}
