package dev.tapedeck.recorder.spool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.recorder.media.SliceFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpoolTest {
    static final String REC = "0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10";

    static SpoolEntry entry(long seq) {
        return new SpoolEntry(REC, REC, "__defaultVhost__/live/a", "source", seq, seq * 1000, seq * 1000 + 967, 1000, 1, false, 0,
                Instant.parse("2026-11-21T10:00:00Z"), Instant.parse("2026-11-21T10:00:01Z"), null);
    }

    static SliceFile part(Spool spool, long seq) throws Exception {
        Path dir = spool.dirOf(REC, "source");
        Files.createDirectories(dir);
        Path file = Files.writeString(dir.resolve(SliceFile.partName(seq)), "media " + seq);
        return new SliceFile(seq, file, seq * 1000, seq * 1000 + 967, 1000, 1, Instant.now());
    }

    @Test
    void finishedSlicesSurviveARestartInSequenceAndHalfWrittenOnesAreFoundWithTheirSession(@TempDir Path dir) throws Exception {
        Spool before = new Spool(dir);
        before.begin(new SpoolSession(REC, REC, "__defaultVhost__/live/a", "source", 0, false));
        before.commit(entry(1), part(before, 1));
        before.commit(entry(0), part(before, 0));
        part(before, 2);
        assertThat(before.count()).isEqualTo(2);
        assertThat(before.bytes()).isEqualTo(14);

        Spool after = new Spool(dir);
        assertThat(after.recover()).extracting(SpoolEntry::seq).containsExactly(0L, 1L);
        assertThat(after.partials()).singleElement().satisfies(p -> {
            assertThat(p.seq()).isEqualTo(2);
            assertThat(p.session().recordingId()).isEqualTo(REC);
        });
        assertThat(after.maxPendingSeq(REC, "source")).hasValue(1);
        assertThat(after.oldestAgeSeconds(Instant.parse("2026-11-21T10:00:11Z"))).isEqualTo(10.0);
    }

    @Test
    void aCrashBetweenTheMetadataAndTheRenameIsCompletedOnRecovery(@TempDir Path dir) throws Exception {
        Spool spool = new Spool(dir);
        SliceFile f = part(spool, 0);
        // The metadata was written, the file still has its .part name.
        Files.writeString(spool.dirOf(REC, "source").resolve("000000.json"),
                new com.fasterxml.jackson.databind.ObjectMapper().findAndRegisterModules().writeValueAsString(entry(0)));
        assertThat(new Spool(dir).recover()).extracting(SpoolEntry::seq).containsExactly(0L);
        assertThat(spool.dirOf(REC, "source").resolve("000000.flv")).exists();
        assertThat(f.file()).doesNotExist();
    }

    @Test
    void storedSlicesLeaveAndQuarantinedOnesAreKeptAside(@TempDir Path dir) throws Exception {
        Spool spool = new Spool(dir);
        spool.begin(new SpoolSession(REC, REC, "__defaultVhost__/live/a", "source", 0, false));
        SpoolEntry a = spool.commit(entry(0), part(spool, 0));
        SpoolEntry b = spool.commit(entry(1), part(spool, 1));
        spool.remove(a);
        Path kept = spool.quarantine(b);
        assertThat(kept).exists().hasContent("media 1");
        assertThat(spool.count()).isZero();
        spool.end(REC, "source");
        assertThat(spool.dirOf(REC, "source")).doesNotExist();
        assertThat(new Spool(dir).recover()).as("quarantined slices are not uploaded again").isEmpty();
    }
}
