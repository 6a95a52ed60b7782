package dev.tapedeck.recorder.service;

import dev.tapedeck.recorder.media.SliceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * What a standby pull keeps while the stream's owner records it: its last few finished slices, numbered in its own
 * order (0, 1, 2, … from its first), on local disk, bounded by count and bytes. Nothing of it is uploaded while the
 * owner lives; when the owner dies, {@link #plan} says which of them continue what the bucket holds.
 */
final class StandbyRing {
    private static final Logger LOG = Logger.getLogger(StandbyRing.class);

    private final int maxSlices;
    private final long maxBytes;
    private final Deque<Kept> kept = new ArrayDeque<>();
    private long bytes;
    private boolean frozen;

    private record Kept(SliceFile slice, long bytes) {
    }

    /**
     * @param maxSlices finished slices kept at most
     * @param maxBytes  bytes kept at most (the newest slice is kept whatever its size)
     */
    StandbyRing(int maxSlices, long maxBytes) {
        this.maxSlices = Math.max(1, maxSlices);
        this.maxBytes = maxBytes;
    }

    /** Keeps a finished slice; the oldest go once there are more than the bounds allow. */
    void add(SliceFile slice) {
        long size;
        try {
            size = Files.size(slice.file());
        } catch (IOException e) {
            size = 0;
        }
        kept.addLast(new Kept(slice, size));
        bytes += size;
        while (!frozen && kept.size() > 1 && (kept.size() > maxSlices || bytes > maxBytes)) {
            Kept old = kept.removeFirst();
            bytes -= old.bytes();
            delete(old.slice());
        }
    }

    /** The slices kept, oldest first. */
    List<SliceFile> slices() {
        return kept.stream().map(Kept::slice).toList();
    }

    int size() {
        return kept.size();
    }

    long bytes() {
        return bytes;
    }

    /** Keeps every slice from now on (a takeover is deciding which of them to upload). */
    void freeze() {
        frozen = true;
    }

    /** Forgets every slice without touching its file (they were handed on). */
    void forget() {
        kept.clear();
        bytes = 0;
    }

    /** Forgets every slice and deletes its file. */
    void clear() {
        kept.forEach(k -> delete(k.slice()));
        kept.clear();
        bytes = 0;
    }

    static void delete(SliceFile slice) {
        try {
            Files.deleteIfExists(slice.file());
        } catch (IOException e) {
            LOG.debugf("cannot delete %s: %s", slice.file(), e.getMessage());
        }
    }

    /**
     * How a standby continues a recording when it becomes the owner.
     *
     * @param upload      kept slices to upload, in order, as the numbers after the last stored one
     * @param drop        kept slices that hold only media already stored (or overlap it): deleted
     * @param dropThrough own numbers up to this one, among the slices still being written (or finished but not yet
     *                    handed over), overlap what is stored: dropped when they finish; -1 when none does
     * @param cutOpen     the slice being written is among them: it is cut at the next keyframe, so that the next one
     *                    begins as soon as possible
     * @param trimOwn     own number of the slice (kept, or still being written) in which what is stored ends: only its
     *                    part from the first keyframe at or after {@link #trimFrom} is uploaded; -1 when none is
     * @param trimFrom    where what is stored ends (DTS, ms)
     * @param shift       add to a slice's own number to get its number in the recording
     * @param seamless    the first slice uploaded begins exactly where the last stored one ends: no gap, no discontinuity
     */
    record Plan(List<SliceFile> upload, List<SliceFile> drop, long dropThrough, boolean cutOpen, long trimOwn, long trimFrom, long shift,
            boolean seamless) {
    }

    /**
     * @param nextSeq    the recording's next number (one after the last slice stored or spooled; 0 when none)
     * @param storedEnd  where the last stored slice ends in stream time; null when none is stored or it is not known
     * @param kept       the kept slices, oldest first
     * @param unfinished own number → first DTS of the slices begun and not yet kept: the one being written, and one
     *                   that still gathers its last audio after the next began
     * @param nextOwnSeq own number the next slice begun gets
     */
    static Plan plan(long nextSeq, Long storedEnd, List<SliceFile> kept, java.util.SortedMap<Long, Long> unfinished, long nextOwnSeq) {
        boolean nothingStored = nextSeq == 0;
        // The first slice, kept or unfinished, that begins at or after the end of what is stored; the ones before it
        // hold only stored media, or overlap it.
        java.util.TreeMap<Long, Long> begins = new java.util.TreeMap<>(unfinished);
        kept.forEach(k -> begins.put(k.seq(), k.firstDtsMillis()));
        long firstOwn = unfinished.isEmpty() ? nextOwnSeq : Math.max(nextOwnSeq, unfinished.lastKey() + 1);
        boolean seamless = false;
        Long after = null;
        for (Map.Entry<Long, Long> b : begins.entrySet()) {
            if (nothingStored || storedEnd != null && b.getValue() >= storedEnd) {
                firstOwn = b.getKey();
                after = b.getValue();
                seamless = nothingStored || b.getValue().equals(storedEnd);
                break;
            }
        }
        // What is stored ends inside the slice before that one (the dead owner stored part of it): its rest follows,
        // from its first keyframe after that point.
        long trimOwn = -1;
        if (!seamless && storedEnd != null && !nothingStored) {
            Map.Entry<Long, Long> before = begins.lowerEntry(firstOwn);
            if (before != null && before.getValue() < storedEnd && (after == null || after > storedEnd)
                    && before.getKey() == firstOwn - 1 && covers(kept, before.getKey(), storedEnd)) {
                trimOwn = before.getKey();
                firstOwn = trimOwn;
            }
        }
        long first = firstOwn;
        List<SliceFile> upload = kept.stream().filter(k -> k.seq() >= first).toList();
        List<SliceFile> drop = kept.stream().filter(k -> k.seq() < first).toList();
        java.util.SortedMap<Long, Long> overlapping = unfinished.headMap(first);
        long dropThrough = overlapping.isEmpty() ? -1 : overlapping.lastKey();
        boolean cutOpen = !unfinished.isEmpty() && unfinished.lastKey() < first;
        return new Plan(upload, drop, dropThrough, cutOpen, trimOwn, trimOwn < 0 ? -1 : storedEnd, nextSeq - firstOwn, seamless);
    }

    /** True when own slice {@code seq} reaches past {@code dts}: it is unfinished (still growing), or kept and ends after it. */
    private static boolean covers(List<SliceFile> kept, long seq, long dts) {
        return kept.stream().filter(k -> k.seq() == seq).findFirst().map(k -> k.firstDtsMillis() + k.durationMillis() > dts).orElse(true);
    }
}
