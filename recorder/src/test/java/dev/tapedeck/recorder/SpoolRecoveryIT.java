package dev.tapedeck.recorder;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.recorder.media.SliceFile;
import dev.tapedeck.recorder.spool.SpoolEntry;
import dev.tapedeck.recorder.spool.SpoolSession;
import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * A recorder that starts with a spool left by its predecessor (killed during a storage outage, and in the middle
 * of writing a slice) uploads and announces those slices before anything else, the half-written one salvaged.
 */
@QuarkusTest
@TestProfile(SpoolRecoveryIT.LeftSpool.class)
class SpoolRecoveryIT {
    static final String RECORDING = Ids.uuid7();
    static final StreamKey SOURCE = StreamKey.parse("__defaultVhost__/live/leftover");

    /** Fills a spool directory the way a killed recorder leaves it, before the service starts. */
    public static class LeftSpool implements QuarkusTestProfile {
        @Override
        public List<TestResourceEntry> testResources() {
            return List.of(new TestResourceEntry(TapedeckTestResource.class), new TestResourceEntry(Filler.class));
        }
    }

    public static class Filler implements QuarkusTestResourceLifecycleManager {
        @Override
        public Map<String, String> start() {
            try {
                Path spool = Files.createTempDirectory("left-spool");
                Path dir = spool.resolve(RECORDING).resolve("source");
                Files.createDirectories(dir);
                ObjectMapper json = new ObjectMapper().findAndRegisterModules().disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
                Path media = dir.resolve("media.tmp");
                MediaTools.makeFlv(media, 320, 240, 30, 4);
                for (long seq = 0; seq < 2; seq++) {
                    SpoolEntry e = new SpoolEntry(RECORDING, RECORDING, SOURCE.toString(), "source", seq, seq * 4000, seq * 4000 + 3967,
                            4000, 4, false, 0, Instant.now().minusSeconds(60), Instant.now().minusSeconds(50), null);
                    Files.write(dir.resolve(e.metaName()), json.writeValueAsBytes(e));
                    Files.copy(media, dir.resolve(e.fileName()));
                }
                // Slice 2 was being written when the process died: a truncated file without metadata.
                json.writeValue(dir.resolve("session.json").toFile(), new SpoolSession(RECORDING, RECORDING, SOURCE.toString(), "source", 0, false));
                byte[] whole = Files.readAllBytes(media);
                Files.write(dir.resolve(SliceFile.partName(2)), java.util.Arrays.copyOf(whole, whole.length * 2 / 3 + 7));
                Files.delete(media);
                return Map.of("tapedeck.recorder.spool-dir", spool.toString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void stop() {
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @Inject
    ObjectStore store;

    @Test
    void slicesLeftInTheSpoolAreUploadedAndAnnouncedInOrderAndTheHalfWrittenOneIsSalvaged() throws Exception {
        try (TopicReader slices = new TopicReader(kafka, Topics.SLICES)) {
            slices.await(r -> r.value().data() instanceof SliceStored s && s.recordingId().equals(RECORDING) && s.seq() == 2,
                    Duration.ofSeconds(60));
            List<SliceStored> ours = slices.seen().stream().filter(r -> r.key().equals(Topics.sliceKey(RECORDING, "source")))
                    .map(r -> (SliceStored) r.value().data()).toList();
            assertThat(ours).extracting(SliceStored::seq).containsExactly(0L, 1L, 2L);
            SliceStored salvaged = ours.get(2);
            assertThat(salvaged.durationMillis()).as("the complete packets of the half-written slice").isBetween(1000L, 3500L);
            assertThat(salvaged.keyframes()).isGreaterThanOrEqualTo(1);
            Path back = Files.createTempFile("salvaged", ".flv");
            store.download(StorageKeys.slice(SOURCE, RECORDING, "source", 2), back);
            assertThat(MediaTools.decodeErrors(back.toString())).as("the salvaged slice decodes").isEmpty();
            for (SliceStored s : ours) {
                assertThat(store.stat(s.objectKey())).hasValueSatisfying(o -> assertThat(o.size()).isEqualTo(s.bytes()));
            }
        }
    }
}
