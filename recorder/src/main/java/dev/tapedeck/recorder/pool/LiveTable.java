package dev.tapedeck.recorder.pool;

import dev.tapedeck.contract.event.StreamPublished;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the live registry ({@code tapedeck.live}, compacted, keyed by streamKey) says about the partitions
 * this replica owns, and what to do about it. Pure logic; {@link LiveOwnership} feeds it records.
 * <p>
 * When a partition is assigned it is read from its beginning. Records before the group's committed offset
 * were handled by the previous owner and only rebuild the table; an end after it (a tombstone, or a new
 * session replacing an old one) was not handled and is acted on. Once the partition is read to the end
 * offset seen at assignment, every stream still live is owned (started or resumed). From then on every
 * record is acted on as it comes.
 */
final class LiveTable {

    /** What to do. */
    sealed interface Action {
        /** Record this session (start, or resume after the last stored slice). */
        record Own(StreamPublished published) implements Action {
        }

        /** This session's stream ended; {@code offset} is the record that said so (committed once handled). */
        record End(StreamPublished published, int partition, long offset) implements Action {
        }
    }

    private static final class Partition {
        final Map<String, StreamPublished> live = new HashMap<>();
        final long committed;
        final long loadEnd;
        final List<Action> deferred = new ArrayList<>();
        boolean loaded;

        Partition(long committed, long loadEnd) {
            this.committed = committed;
            this.loadEnd = loadEnd;
        }
    }

    private final Map<Integer, Partition> partitions = new HashMap<>();

    /**
     * A partition was assigned.
     *
     * @param committed the group's committed offset (0 when none)
     * @param loadEnd   the partition's end offset now
     */
    void assigned(int partition, long committed, long loadEnd) {
        partitions.put(partition, new Partition(committed, loadEnd));
    }

    /** True while the partition is being read up to its end offset. */
    boolean loading(int partition) {
        Partition p = partitions.get(partition);
        return p != null && !p.loaded;
    }

    /** Applies one record ({@code published} null for a tombstone) and returns what to do now. */
    List<Action> apply(int partition, long offset, String key, StreamPublished published) {
        Partition p = partitions.get(partition);
        if (p == null) {
            return List.of();
        }
        StreamPublished before = p.live.get(key);
        boolean sameSession = before != null && published != null && before.sessionId().equals(published.sessionId());
        List<Action> now = new ArrayList<>();
        if (before != null && !sameSession) {
            Action end = new Action.End(before, partition, offset);
            if (p.loaded) {
                now.add(end);
            } else if (offset >= p.committed) {
                p.deferred.add(end);
            }
        }
        if (published == null) {
            p.live.remove(key);
        } else if (!sameSession) {
            p.live.put(key, published);
            if (p.loaded) {
                now.add(new Action.Own(published));
            }
        }
        return now;
    }

    /**
     * The partition's position reached {@code position}; once that is its end offset at assignment, the
     * unhandled ends are acted on and every live stream is owned.
     */
    List<Action> caughtUp(int partition, long position) {
        Partition p = partitions.get(partition);
        if (p == null || p.loaded || position < p.loadEnd) {
            return List.of();
        }
        p.loaded = true;
        List<Action> out = new ArrayList<>(p.deferred);
        p.deferred.clear();
        p.live.values().stream().map(Action.Own::new).forEach(out::add);
        return out;
    }

    /** The partition was revoked or lost: its live streams, which this replica must let go of. */
    Collection<StreamPublished> revoked(int partition) {
        Partition p = partitions.remove(partition);
        return p == null ? List.of() : List.copyOf(p.live.values());
    }

    /** The live streams of a partition. */
    Collection<StreamPublished> live(int partition) {
        Partition p = partitions.get(partition);
        return p == null ? List.of() : List.copyOf(p.live.values());
    }

    /** Partitions that hold a live stream whose session matches. */
    Set<Integer> partitionsWith(java.util.function.Predicate<StreamPublished> match) {
        Set<Integer> out = new TreeSet<>();
        partitions.forEach((n, p) -> {
            if (p.live.values().stream().anyMatch(match)) {
                out.add(n);
            }
        });
        return out;
    }

    Set<Integer> partitions() {
        return new TreeSet<>(partitions.keySet());
    }
}
