package dev.tapedeck.recorder.service;

import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.TapedeckEvent;
import dev.tapedeck.recorder.media.MediaPull;
import dev.tapedeck.recorder.media.PullFactory;
import dev.tapedeck.recorder.media.SliceFile;
import dev.tapedeck.recorder.media.StreamEnd;
import dev.tapedeck.recorder.spool.Announcer;
import dev.tapedeck.recorder.spool.Retrier;
import dev.tapedeck.recorder.spool.SliceStore;
import dev.tapedeck.recorder.spool.Spool;
import dev.tapedeck.recorder.spool.Uploader;
import dev.tapedeck.storage.ObjectConflictException;
import dev.tapedeck.storage.Sha256;
import dev.tapedeck.storage.StorageException;
import dev.tapedeck.storage.StoredObject;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/** A recorder on fakes: pulls that write small slice files, an in-memory bucket, and a list of announced events. */
final class Harness implements AutoCloseable {
    static final String SOURCE = "__defaultVhost__/live/a";

    final Path spoolDir;
    final Spool spool;
    final MemoryStore store;
    final Events events = new Events();
    final FakePulls pulls = new FakePulls();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final RecorderMetrics metrics = new RecorderMetrics(registry);
    final Uploader uploader;
    final RecorderService recorder;

    Harness(Path spoolDir, int maxRecordings) {
        this(spoolDir, maxRecordings, new MemoryStore());
    }

    /** A replica on a bucket it shares with others. */
    Harness(Path spoolDir, int maxRecordings, MemoryStore store) {
        this(spoolDir, maxRecordings, store, Duration.ofSeconds(30));
    }

    /** A replica whose recordings close after {@code idleTimeout} without media. */
    Harness(Path spoolDir, int maxRecordings, MemoryStore store, Duration idleTimeout) {
        this(spoolDir, maxRecordings, store, idleTimeout, Set.of());
    }

    /** As above, and no standby for the streams of {@code noStandbyApps}. */
    Harness(Path spoolDir, int maxRecordings, MemoryStore store, Duration idleTimeout, Set<String> noStandbyApps) {
        this.store = store;
        this.spoolDir = spoolDir;
        this.spool = new Spool(spoolDir);
        Retrier retrier = new Retrier() {
            @Override
            public <T> T call(String what, java.util.concurrent.Callable<T> op) throws Exception {
                while (true) {
                    try {
                        return op.call();
                    } catch (ObjectConflictException | Abort e) {
                        throw e;
                    } catch (RuntimeException e) {
                        metrics.retried(e);
                        Thread.sleep(2);
                    }
                }
            }
        };
        this.uploader = new Uploader(spool, store, events, retrier, metrics, Clock.systemUTC());
        RecorderSettings settings = new RecorderSettings("rtmp://media", Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofMillis(50), maxRecordings, Duration.ofSeconds(5), idleTimeout, Duration.ofMillis(20))
                .withNoStandbyApps(noStandbyApps);
        this.recorder = new RecorderService(new RecorderContext(settings, spool, uploader, store, events, pulls, retrier,
                Clock.systemUTC(), metrics, PullGuard.NONE));
    }

    static StreamPublished published(String sessionId) {
        return published("a", sessionId);
    }

    /** A source session of {@code live/stream}. */
    static StreamPublished published(String stream, String sessionId) {
        return published("live", sessionId, stream);
    }

    /** A source session of {@code app/stream}. */
    static StreamPublished published(String app, String sessionId, String stream) {
        String key = "__defaultVhost__/" + app + "/" + stream;
        return new StreamPublished(key, "__defaultVhost__", app, stream, sessionId, sessionId, false, key, "source",
                "nginx-rtmp", null, "1", "127.0.0.1", null, Instant.now());
    }

    @Override
    public void close() {
        recorder.close();
        uploader.close();
    }

    /** The replica dies: nothing more is uploaded or announced, its pulls stop. */
    void kill() {
        uploader.close();
        recorder.close();
    }

    /** The object store: a map, with failures on demand. */
    static final class MemoryStore implements SliceStore {
        final Map<String, byte[]> objects = new ConcurrentHashMap<>();
        final Map<String, Instant> modified = new ConcurrentHashMap<>();
        final Map<String, Map<String, String>> metadata = new ConcurrentHashMap<>();
        final AtomicInteger failNext = new AtomicInteger();
        final AtomicInteger puts = new AtomicInteger();

        @Override
        public StoredObject putOnce(String key, Path file, String sha256) {
            if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new StorageException("put " + key + " failed: object store is not reachable", null, false);
            }
            try {
                byte[] data = Files.readAllBytes(file);
                byte[] existing = objects.get(key);
                if (existing != null) {
                    String stored = Sha256.of(new java.io.ByteArrayInputStream(existing));
                    if (!stored.equals(sha256)) {
                        throw new ObjectConflictException("refusing to overwrite " + key + " (stored sha256 " + stored + ", new sha256 "
                                + sha256 + ")", stored, sha256);
                    }
                } else {
                    objects.put(key, data);
                    modified.put(key, Instant.now());
                    puts.incrementAndGet();
                }
                return new StoredObject(key, data.length, "etag", "video/x-flv", modified.get(key));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public StoredObject putOnce(String key, Path file, String sha256, Map<String, String> meta) {
            boolean fresh = !objects.containsKey(key);
            StoredObject stored = putOnce(key, file, sha256);
            if (fresh) {
                metadata.put(key, Map.copyOf(meta));
            }
            return stored;
        }

        final Map<String, byte[]> notes = new ConcurrentHashMap<>();

        @Override
        public java.util.Optional<byte[]> readNote(String key) {
            return java.util.Optional.ofNullable(notes.get(key));
        }

        @Override
        public void writeNote(String key, byte[] data) {
            notes.put(key, data);
        }

        @Override
        public void deleteNote(String key) {
            notes.remove(key);
        }

        @Override
        public java.util.Optional<Map<String, String>> metadata(String key) {
            return objects.containsKey(key) ? java.util.Optional.of(metadata.getOrDefault(key, Map.of())) : java.util.Optional.empty();
        }

        @Override
        public List<StoredObject> list(String prefix) {
            if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new StorageException("list " + prefix + " failed: object store is not reachable", null, false);
            }
            List<StoredObject> out = new ArrayList<>();
            new TreeMap<>(objects).forEach((k, v) -> {
                if (k.startsWith(prefix)) {
                    out.add(new StoredObject(k, v.length, "etag", null, modified.get(k)));
                }
            });
            return out;
        }

        void put(String key, String content) {
            objects.put(key, content.getBytes(StandardCharsets.UTF_8));
            modified.put(key, Instant.now().minusSeconds(5));
        }
    }

    /** Announced events, in order. */
    static final class Events implements Announcer {
        final List<TapedeckEvent> all = new CopyOnWriteArrayList<>();

        @Override
        public void stored(SliceStored event) {
            all.add(event);
        }

        @Override
        public void closed(RecordingClosed event) {
            all.add(event);
        }

        List<SliceStored> slices() {
            return all.stream().filter(SliceStored.class::isInstance).map(SliceStored.class::cast).toList();
        }

        List<RecordingClosed> closes() {
            return all.stream().filter(RecordingClosed.class::isInstance).map(RecordingClosed.class::cast).toList();
        }
    }

    /** Slice {@code n} of a shared live stream: the same bytes in every pull that cut it whole. */
    static String liveSlice(long n) {
        return "live slice " + n;
    }

    /**
     * Pulls that write one slice each time a permit is released (or on their own every few ms when {@code free}),
     * and end as the test says: stopped by the recorder, at the end of input after {@code eofAfter} slices, or failing.
     */
    static final class FakePulls implements PullFactory {
        final List<String> opened = new CopyOnWriteArrayList<>();
        final List<Long> firstSeqs = new CopyOnWriteArrayList<>();
        volatile int eofAfter = Integer.MAX_VALUE;
        /** After the first end of input, pulls connect but read nothing (a server that keeps players, a dead one). */
        volatile boolean silentAfterEof;
        volatile boolean eofSeen;
        volatile boolean fail;
        final Semaphore permits = new Semaphore(0);
        volatile boolean free = true;
        volatile long sliceEveryMillis = 5;
        /**
         * A live stream that pulls share: the number of its last finished slice (-1 before the first). Null: each pull makes
         * slices of its own. A pull that opens joins at the next slice; slice {@code n} covers {@code n * 1000} ms of stream
         * time for 1000 ms and holds the same bytes in every pull, so that two pulls of the stream cut the same slices.
         */
        volatile java.util.concurrent.atomic.AtomicLong live;
        /** The first slice of {@link #live} each pull cuts, as it joins: a test advances the stream once a pull joined. */
        final List<Long> joined = new CopyOnWriteArrayList<>();

        /** The rest of a slice of {@link #live} from its first keyframe (one every 100 ms) at or after {@code fromDtsMillis}. */
        @Override
        public MediaPull openFrom(String file, Path dir, long seq, long fromDtsMillis) {
            return (listener, control) -> {
                String content = Files.readString(Path.of(file));
                long n = Long.parseLong(content.replaceAll("^live slice (\\d+).*$", "$1"));
                long key = (fromDtsMillis + 99) / 100 * 100;
                long end = (n + 1) * 1000;
                Files.createDirectories(dir);
                Path out = dir.resolve(SliceFile.partName(seq));
                Files.writeString(out, liveSlice(n) + " from " + key + " ms");
                listener.sliceFinished(new SliceFile(seq, out, key, end - 33, end - key, 1, Instant.now()));
                return StreamEnd.END_OF_INPUT;
            };
        }

        @Override
        public MediaPull open(String input, Map<String, String> options, Path dir, long sliceMillis, long firstSeq) {
            opened.add(input);
            firstSeqs.add(firstSeq);
            return (listener, control) -> run(input, dir, firstSeq, listener, control);
        }

        private StreamEnd run(String input, Path dir, long firstSeq, dev.tapedeck.recorder.media.SliceListener listener,
                dev.tapedeck.recorder.media.PullControl control) throws IOException {
            if (fail) {
                throw new IOException("Connection refused");
            }
            if (live != null) {
                return runLive(input, dir, firstSeq, listener, control);
            }
            long seq = firstSeq;
            int made = 0;
            while (silentAfterEof && eofSeen) {
                StreamEnd asked = control.check(Long.MIN_VALUE);
                if (asked != null) {
                    return asked;
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return StreamEnd.STOPPED;
                }
            }
            while (true) {
                if (made >= eofAfter) {
                    eofSeen = true;
                    return StreamEnd.END_OF_INPUT;
                }
                // A fake pull reads a packet before each slice: media keeps coming until it stops.
                StreamEnd asked = control.check(System.nanoTime());
                boolean stopping = asked != null;
                if (!stopping) {
                    try {
                        if (free) {
                            Thread.sleep(sliceEveryMillis);
                        } else if (!permits.tryAcquire(5, java.util.concurrent.TimeUnit.MILLISECONDS)) {
                            continue;
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return StreamEnd.STOPPED;
                    }
                }
                Path file = dir.resolve(SliceFile.partName(seq));
                Files.writeString(file, "slice " + seq + " of " + input + " at " + System.nanoTime());
                listener.sliceFinished(new SliceFile(seq, file, seq * 1000, seq * 1000 + 967, 1000, 1, Instant.now()));
                seq++;
                made++;
                if (stopping) {
                    return asked;
                }
            }
        }

        /** Follows {@link #live}; a pull stopped mid-slice finishes that slice short (400 ms of it). */
        private StreamEnd runLive(String input, Path dir, long firstSeq, dev.tapedeck.recorder.media.SliceListener listener,
                dev.tapedeck.recorder.media.PullControl control) throws IOException {
            java.util.concurrent.atomic.AtomicLong stream = live;
            Files.createDirectories(dir);
            long next = stream.get() + 1;
            long seq = firstSeq;
            listener.sliceOpened(seq, next * 1000);
            joined.add(next);
            while (true) {
                StreamEnd asked = control.check(System.nanoTime());
                if (asked != null || stream.get() >= next) {
                    boolean whole = stream.get() >= next;
                    Path file = dir.resolve(SliceFile.partName(seq));
                    Files.writeString(file, whole ? liveSlice(next) : liveSlice(next) + " (400 ms of it)");
                    listener.sliceFinished(new SliceFile(seq, file, next * 1000, next * 1000 + (whole ? 967 : 367), whole ? 1000 : 400, 1,
                            Instant.now()));
                    seq++;
                    next++;
                    if (asked != null) {
                        return asked;
                    }
                    listener.sliceOpened(seq, next * 1000);
                }
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return StreamEnd.STOPPED;
                }
            }
        }
    }
}
