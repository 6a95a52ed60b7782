package dev.tapedeck.recorder.service;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.recorder.spool.SliceStore;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * No input can crash-loop the pool: a durable count, per rendition of a recording, of the pulls that began and did not
 * complete a slice. A pull counts itself in object storage before it reads ({@link #begin}) and is forgotten once it
 * completed a slice or ended ({@link #forget}); a count left behind means the replica died in it. A rendition whose pulls
 * killed {@code limit} replicas that way is not pulled again: its recording is closed FAILED with the reason. A replica
 * killed for another reason (a node lost, an operator's kill) after its pull completed a slice counts nothing.
 */
public final class PullGuard {
    private static final Logger LOG = Logger.getLogger(PullGuard.class);
    /** No guard (unit tests). */
    public static final PullGuard NONE = new PullGuard(null, Integer.MAX_VALUE, null);

    private final SliceStore store;
    private final int limit;
    private final Pattern haltOn;

    /**
     * @param limit  pulls that may die before a slice before the rendition is given up
     * @param haltOn test only: a pull of a stream key matching it halts the process (as a crash in native code), or null
     */
    public PullGuard(SliceStore store, int limit, Pattern haltOn) {
        this.store = store;
        this.limit = limit;
        this.haltOn = haltOn;
    }

    /**
     * Counts a pull about to begin; returns how many earlier ones died before a slice. Throws {@link Exhausted} (counting
     * nothing) when they reached the limit. Storage that does not answer leaves the pull unguarded (logged): recording
     * never waits for this note.
     */
    int begin(String recordingId, String rendition, String streamKey) {
        if (store == null) {
            return 0;
        }
        String key = StorageKeys.recorderPulls(recordingId, rendition);
        int died;
        try {
            died = store.readNote(key).map(b -> parse(new String(b, StandardCharsets.UTF_8))).orElse(0);
            if (died >= limit) {
                throw new Exhausted(died);
            }
            store.writeNote(key, String.valueOf(died + 1).getBytes(StandardCharsets.UTF_8));
        } catch (Exhausted e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.warnf("cannot note the pull of %s in object storage (%s): pulling without the crash guard", streamKey, e.getMessage());
            return 0;
        }
        if (died > 0) {
            LOG.warnf("%d pull%s of %s ended with the replica dying before a slice; pulling again", died, died == 1 ? "" : "s", streamKey);
        }
        if (haltOn != null && haltOn.matcher(streamKey).find()) {
            LOG.errorf("halting on the pull of %s (tapedeck.recorder.halt-on-stream, a test setting)", streamKey);
            Runtime.getRuntime().halt(134);
        }
        return died;
    }

    /** The pull completed a slice, or ended: it did not kill its replica. Off the caller's thread; errors are logged. */
    void forget(String recordingId, String rendition) {
        if (store == null) {
            return;
        }
        CompletableFuture.runAsync(() -> store.deleteNote(StorageKeys.recorderPulls(recordingId, rendition))).exceptionally(e -> {
            LOG.debugf("cannot remove the pull note of %s/%s: %s", recordingId, rendition, e.getMessage());
            return null;
        });
    }

    private static int parse(String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    /** The rendition's pulls killed their replicas as many times as allowed. */
    static final class Exhausted extends RuntimeException {
        final int died;

        Exhausted(int died) {
            super("its pull stopped the recorder " + died + " time" + (died == 1 ? "" : "s") + " before it completed a slice", null,
                    false, false);
            this.died = died;
        }
    }
}
