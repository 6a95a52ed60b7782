package dev.tapedeck.recorder.service;

import dev.tapedeck.recorder.media.MediaPull;
import dev.tapedeck.recorder.media.PullFactory;
import dev.tapedeck.recorder.media.SliceFile;
import dev.tapedeck.recorder.media.StreamEnd;
import dev.tapedeck.recorder.spool.Spool;
import dev.tapedeck.recorder.spool.SpoolEntry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Slices a crash left half-written: every complete packet in them is remuxed into a proper slice under the
 * same sequence number, which then goes up like any other. A file with nothing decodable in it is moved
 * to the spool's quarantine, never deleted.
 */
final class Salvage {
    private static final Logger LOG = Logger.getLogger(Salvage.class);
    /** Longer than any file: the whole half-written slice becomes one slice. */
    private static final long WHOLE = Long.MAX_VALUE / 4;

    private Salvage() {
    }

    static Optional<SpoolEntry> salvage(Spool.Partial partial, Spool spool, PullFactory pulls, Clock clock) {
        Path work = partial.file().resolveSibling(".salvage-" + partial.seq());
        try {
            if (Files.size(partial.file()) == 0) {
                LOG.infof("half-written slice %s is empty (the crash came as it was opened); removing it", partial.file());
                Files.delete(partial.file());
                return Optional.empty();
            }
            Files.createDirectories(work);
            List<SliceFile> out = new ArrayList<>();
            MediaPull pull = pulls.open(partial.file().toString(), Map.of(), work, WHOLE, partial.seq());
            StreamEnd end = pull.run(out::add, lastPacket -> null);
            if (out.isEmpty()) {
                throw new IOException("no keyframe in it (" + end + ")");
            }
            SliceFile f = out.get(0);
            var s = partial.session();
            SpoolEntry entry = new SpoolEntry(s.recordingId(), s.sessionId(), s.streamKey(), s.rendition(), partial.seq(),
                    f.firstDtsMillis(), f.lastDtsMillis(), f.durationMillis(), f.keyframes(),
                    s.resumed() && partial.seq() == s.firstSeq(), 0, Files.getLastModifiedTime(partial.file()).toInstant(),
                    clock.instant(), f.media().withDiscontinuityCause(s.resumed() && partial.seq() == s.firstSeq() ? "RESUMED" : null));
            spool.commit(entry, f);
            Files.delete(partial.file());
            LOG.infof("salvaged slice %d of %s/%s left half-written by a crash: %d ms of media", partial.seq(), s.recordingId(),
                    s.rendition(), f.durationMillis());
            return Optional.of(entry);
        } catch (IOException | RuntimeException e) {
            LOG.warnf("half-written slice %s cannot be salvaged: %s; moving it to the quarantine", partial.file(), e.getMessage());
            try {
                Path q = spool.root().resolve(".quarantine").resolve(partial.session().recordingId()).resolve(partial.session().rendition());
                Files.createDirectories(q);
                Files.move(partial.file(), q.resolve(partial.file().getFileName()));
            } catch (IOException moveFailed) {
                LOG.warnf("and cannot move it: %s", moveFailed.getMessage());
            }
            return Optional.empty();
        } finally {
            try (var files = Files.list(work)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
                Files.deleteIfExists(work);
            } catch (IOException ignored) {
                // left for the next start
            }
        }
    }
}
