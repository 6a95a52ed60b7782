package dev.tapedeck.recorder.service;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.recorder.spool.SliceStore;
import dev.tapedeck.recorder.spool.SpoolEntry;
import dev.tapedeck.recorder.spool.Uploader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * A slice salvaged at a restart from what the crash left half-written, whose stream a standby took over after the crash:
 * the standby is writing the whole slice under the same number, so the half is held back until that is stored (then it
 * is superseded and goes) or until {@code patience} has passed (then it is uploaded as any salvaged slice). Without the
 * hold the half would take the number first and the standby's whole copy would be refused.
 */
final class SalvageHold {
    private static final Logger LOG = Logger.getLogger(SalvageHold.class);

    private SalvageHold() {
    }

    /** True when a standby noted a takeover of the slice's rendition after the slice was last written (the crash). */
    static boolean takenOverSince(SliceStore store, SpoolEntry salvaged) {
        try {
            Optional<byte[]> note = store.readNote(StorageKeys.recorderTakeover(salvaged.recordingId(), salvaged.rendition()));
            if (note.isEmpty()) {
                return false;
            }
            long at = Long.parseLong(new String(note.get(), StandardCharsets.UTF_8).strip());
            return at >= salvaged.startedAt().toEpochMilli();
        } catch (RuntimeException e) {
            LOG.warnf("cannot read the takeover note of %s/%s (%s): its salvaged slice is uploaded now", salvaged.recordingId(),
                    salvaged.rendition(), e.getMessage());
            return false;
        }
    }

    /** Uploads the salvaged slice once the standby's copy of it is stored, or after {@code patience}; on a thread of its own. */
    static void uploadAfterTheStandby(SpoolEntry salvaged, SliceStore store, Uploader uploader, Duration patience) {
        String key = StorageKeys.slice(StreamKey.parse(salvaged.streamKey()), salvaged.recordingId(), salvaged.rendition(), salvaged.seq());
        LOG.infof("a standby took %s/%s over after the crash: salvaged slice %d (%d ms) waits until its copy of that slice is stored"
                + " (at most %s)", salvaged.recordingId(), salvaged.rendition(), salvaged.seq(), salvaged.durationMillis(), patience);
        Thread t = new Thread(() -> {
            long deadline = System.nanoTime() + patience.toNanos();
            try {
                while (System.nanoTime() < deadline && !stored(store, key)) {
                    Thread.sleep(1000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return; // stopping: the slice stays in the spool for the next start
            }
            uploader.upload(salvaged);
        }, "salvage-hold-" + salvaged.seq());
        t.setDaemon(true);
        t.start();
    }

    private static boolean stored(SliceStore store, String key) {
        try {
            return store.metadata(key).isPresent();
        } catch (RuntimeException e) {
            return false;
        }
    }
}
