package dev.tapedeck.recorder.service;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.recorder.spool.SliceStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * No input can crash-loop the pool, and no stream is blamed for another's crash.
 * <p>
 * A pull is <em>at risk</em> from the moment it begins until it has read for the crash window (or ended): a replica that
 * dies meanwhile may have died of it. Before it reads, a pull leaves two notes in object storage: one per rendition
 * ({@link StorageKeys#recorderPull}: the replica's life and the strikes so far) and one under its replica's life
 * ({@link StorageKeys#recorderLifePull}); both are removed once the window has passed. The next owner of a rendition that
 * finds its note knows that the replica died while the pull was at risk, and looks at what else that life left:
 * <ul>
 * <li>it was the only pull at risk there: the death is its own, one strike. A rendition with {@code limit} strikes is
 * not pulled again: its recording is closed FAILED with the reason;</li>
 * <li>other pulls were at risk too: nobody can say which one it was. No strike; the rendition is a <em>suspect</em>,
 * and so is each of the others.</li>
 * </ul>
 * A suspect (a rendition that shared a death or has a strike) begins only once no other pull of this replica is at
 * risk (it waits at most three crash windows), so that the next death, if it comes, is its own. Pulls that are not
 * suspects never wait. Where object storage does not answer, the pull goes on without the guard (logged): recording
 * never waits for this note.
 */
public final class PullGuard {
    private static final Logger LOG = Logger.getLogger(PullGuard.class);
    /** No guard (unit tests). */
    public static final PullGuard NONE = new PullGuard(null, "none", Integer.MAX_VALUE, Duration.ZERO, null);

    private final SliceStore store;
    private final String life;
    private final int limit;
    private final long windowNanos;
    private final Pattern haltOn;
    private int atRisk;

    /**
     * @param life   this replica's life: unique per process start
     * @param limit  deaths of its own a rendition's pulls may cause before it is given up
     * @param window how long a pull is at risk after it begins
     * @param haltOn test only: a pull of a stream key matching it halts the process once at risk (as a crash in native
     *               code would), or null
     */
    public PullGuard(SliceStore store, String life, int limit, Duration window, Pattern haltOn) {
        this.store = store;
        this.life = life;
        this.limit = limit;
        this.windowNanos = window.toNanos();
        this.haltOn = haltOn;
    }

    /** A pull at risk; {@link #check()} it as it reads, {@link #end()} it when it ends. */
    public final class Ticket {
        final String recordingId;
        final String rendition;
        final int strikes;
        final boolean suspect;
        private final long since = System.nanoTime();
        private volatile boolean over;

        Ticket(String recordingId, String rendition, int strikes, boolean suspect) {
            this.recordingId = recordingId;
            this.rendition = rendition;
            this.strikes = strikes;
            this.suspect = suspect;
        }

        /**
         * Called as the pull reads: once the crash window has passed, the pull is no longer at risk. Its notes go off this
         * thread, and only then does it stop counting as at risk here: a suspect waiting for it begins once its note is
         * gone, so that a death right after is judged the suspect's own, not shared with a pull that was already safe.
         */
        void check() {
            if (!over && System.nanoTime() - since >= windowNanos) {
                over = true;
                CompletableFuture.runAsync(() -> {
                    forget();
                    release();
                });
            }
        }

        /** The pull ended without killing its replica: its notes go before this returns, so that its next owner sees no death. */
        void end() {
            if (!over) {
                over = true;
                forget();
                release();
            }
        }

        /** True once the pull is past its window or ended (its notes may still be going). */
        boolean over() {
            return over;
        }

        private void release() {
            synchronized (PullGuard.this) {
                atRisk--;
                PullGuard.this.notifyAll();
            }
        }

        private void forget() {
            if (store == null) {
                return;
            }
            try {
                store.deleteNote(StorageKeys.recorderPull(recordingId, rendition));
                store.deleteNote(StorageKeys.recorderLifePull(life, recordingId, rendition));
            } catch (RuntimeException e) {
                LOG.warnf("cannot remove the pull notes of %s/%s (%s): if this replica dies, the next owner may count a death against it", recordingId, rendition, e.getMessage());
            }
        }
    }

    /**
     * Whether a standby may begin to pull a rendition beside its owner: once the crash window has passed since the
     * publish and no pull of it is at risk anywhere (its note is gone). An input that kills its pull then takes one
     * replica down, not the owner and its standby together.
     */
    boolean standbyMayBegin(String recordingId, String rendition, java.time.Instant publishedAt) {
        if (publishedAt != null && java.time.Instant.now().isBefore(publishedAt.plusNanos(windowNanos))) {
            return false;
        }
        if (store == null) {
            return true;
        }
        try {
            return store.readNote(StorageKeys.recorderPull(recordingId, rendition)).isEmpty();
        } catch (RuntimeException e) {
            LOG.debugf("cannot read the pull note of %s/%s (%s): the standby waits", recordingId, rendition, e.getMessage());
            return false;
        }
    }

    /**
     * Begins a pull at risk: finds out whether an earlier one killed its replica, waits if it is a suspect, and notes it.
     * Throws {@link Exhausted} (noting nothing) when the rendition's pulls killed {@code limit} replicas.
     *
     * @param cancelled asked while a suspect waits: true gives up waiting (the pull is handed over)
     */
    Ticket begin(String recordingId, String rendition, String streamKey, BooleanSupplier cancelled) throws InterruptedException {
        if (store == null) {
            return track(new Ticket(recordingId, rendition, 0, false));
        }
        String key = StorageKeys.recorderPull(recordingId, rendition);
        Ticket ticket;
        try {
            ticket = judge(recordingId, rendition, streamKey, store.readNote(key).map(b -> new String(b, StandardCharsets.UTF_8)));
        } catch (Exhausted e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.warnf("cannot read the pull note of %s in object storage (%s): pulling without the crash guard", streamKey, e.getMessage());
            return track(new Ticket(recordingId, rendition, 0, false));
        }
        if (ticket.suspect) {
            awaitAloneAndTrack(ticket, streamKey, cancelled);
        } else {
            track(ticket);
        }
        try {
            store.writeNote(StorageKeys.recorderLifePull(life, recordingId, rendition), streamKey.getBytes(StandardCharsets.UTF_8));
            store.writeNote(key, (life + " " + ticket.strikes).getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            LOG.warnf("cannot note the pull of %s in object storage (%s): pulling without the crash guard", streamKey, e.getMessage());
        }
        if (haltOn != null && haltOn.matcher(streamKey).find()) {
            LOG.errorf("halting on the pull of %s (tapedeck.recorder.halt-on-stream, a test setting)", streamKey);
            Runtime.getRuntime().halt(134);
        }
        return ticket;
    }

    /** What an earlier pull's note says: no death, a death of its own (a strike), or a shared one (a suspect). */
    private Ticket judge(String recordingId, String rendition, String streamKey, Optional<String> note) {
        if (note.isEmpty()) {
            return new Ticket(recordingId, rendition, 0, false);
        }
        String[] parts = note.get().strip().split(" ");
        String died = parts[0];
        int strikes = parts.length > 1 ? parse(parts[1]) : 0;
        if (died.equals(life)) {
            // Begun by this process and not ended (a session started again here): not a death.
            return new Ticket(recordingId, rendition, strikes, strikes > 0);
        }
        int atRiskThere = store.list(StorageKeys.recorderLife(died)).size();
        if (atRiskThere <= 1) {
            strikes++;
            LOG.warnf("the replica that pulled %s (life %s) died while it was the only pull at risk there (%d of %d): %s", streamKey, died,
                    strikes, limit, strikes >= limit ? "it is not pulled again" : "it is pulled again alone");
            if (strikes >= limit) {
                throw new Exhausted(strikes);
            }
        } else {
            LOG.warnf("the replica that pulled %s (life %s) died while %d pulls were at risk there: no strike; it is pulled again alone",
                    streamKey, died, atRiskThere);
        }
        return new Ticket(recordingId, rendition, strikes, true);
    }

    /**
     * A suspect waits until no other pull of this replica is at risk, at most three crash windows or until cancelled, and
     * is at risk from the same moment: two suspects that begin together on one replica take turns instead of both
     * finding nobody at risk and dying together again.
     */
    private synchronized void awaitAloneAndTrack(Ticket ticket, String streamKey, BooleanSupplier cancelled) throws InterruptedException {
        long until = System.nanoTime() + 3 * windowNanos;
        while (atRisk > 0 && !cancelled.getAsBoolean()) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                LOG.warnf("%d pulls are still at risk here after %d ms: %s begins beside them", atRisk, 3 * windowNanos / 1_000_000,
                        streamKey);
                break;
            }
            wait(Math.max(1, Math.min(left / 1_000_000, 100)));
        }
        track(ticket);
    }

    private synchronized Ticket track(Ticket ticket) {
        atRisk++;
        return ticket;
    }

    private static int parse(String text) {
        try {
            return Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The rendition's pulls killed their replicas, alone, as many times as allowed. */
    static final class Exhausted extends RuntimeException {
        final int strikes;

        Exhausted(int strikes) {
            super("its pull stopped the recorder " + strikes + " time" + (strikes == 1 ? "" : "s")
                    + " while no other pull there was at risk", null, false, false);
            this.strikes = strikes;
        }
    }
}
