package dev.tapedeck.recorder.service;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.recorder.spool.Retrier;
import dev.tapedeck.recorder.spool.SpoolEntry;
import dev.tapedeck.storage.StoredObject;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a rendition's recording stands before a pull starts: the slices already in the bucket and in this
 * replica's spool. A pull continues after the last of them and never writes a number twice.
 *
 * @param nextSeq      the first sequence number the pull writes
 * @param slicesBefore slices the recording already has
 * @param lastStoredAt when the last of them was finished (stored, or spooled), null when there is none
 * @param lastEndDts   where the last of them ends in stream time (its first DTS plus its duration), null when there is
 *                     none or it is not known (a slice stored without that metadata)
 */
public record ResumePoint(long nextSeq, long slicesBefore, Instant lastStoredAt, Long lastEndDts) {
    private static final Pattern SLICE = Pattern.compile("(\\d{6})\\.flv");

    /** True when the recording already had slices: the pull continues it after a gap. */
    public boolean resumed() {
        return nextSeq > 0;
    }

    /** Reads the bucket (retried until it answers, or until {@code abandon} says the pull is no longer wanted) and the spool. */
    static ResumePoint find(RecorderContext ctx, StreamPublished p, StreamKey source, BooleanSupplier abandon) throws Exception {
        String prefix = StorageKeys.sliceDir(source, p.recordingId(), p.rendition());
        List<StoredObject> stored = ctx.retrier().call("listing " + prefix, () -> {
            if (abandon.getAsBoolean()) {
                throw new Retrier.Abort("no longer wanted");
            }
            return ctx.store().list(prefix);
        });
        Set<Long> seqs = new HashSet<>();
        long max = -1;
        Instant lastAt = null;
        String lastKey = null;
        for (StoredObject o : stored) {
            Matcher m = SLICE.matcher(o.key().substring(prefix.length()));
            if (!m.matches()) {
                continue;
            }
            long seq = Long.parseLong(m.group(1));
            seqs.add(seq);
            if (seq > max) {
                max = seq;
                lastAt = o.lastModified();
                lastKey = o.key();
            }
        }
        Long lastEnd = null;
        Optional<SpoolEntry> pending = ctx.spool().lastPending(p.recordingId(), p.rendition());
        if (pending.isPresent()) {
            seqs.addAll(ctx.spool().pendingSeqs(p.recordingId(), p.rendition()));
            if (pending.get().seq() > max) {
                max = pending.get().seq();
                lastAt = pending.get().finishedAt();
                lastKey = null;
                lastEnd = pending.get().firstDtsMillis() + pending.get().durationMillis();
            }
        }
        if (lastKey != null) {
            lastEnd = endDts(ctx, lastKey);
        }
        return new ResumePoint(max + 1, seqs.size(), lastAt, lastEnd);
    }

    /** Where a stored slice ends in stream time, from its metadata; null when it carries none or storage does not say. */
    private static Long endDts(RecorderContext ctx, String key) {
        try {
            java.util.Map<String, String> meta = ctx.retrier().call("reading the metadata of " + key, () -> ctx.store().metadata(key))
                    .orElse(java.util.Map.of());
            String first = meta.get(dev.tapedeck.recorder.spool.SliceStore.FIRST_DTS);
            String duration = meta.get(dev.tapedeck.recorder.spool.SliceStore.DURATION);
            return first == null || duration == null ? null : Long.parseLong(first) + Long.parseLong(duration);
        } catch (Exception e) {
            return null;
        }
    }
}
