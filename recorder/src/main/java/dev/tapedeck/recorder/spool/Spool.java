package dev.tapedeck.recorder.spool;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.recorder.media.SliceFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * The durable spool: every finished slice is a file plus its {@link SpoolEntry} on local disk until it is
 * stored, so a crash, a restart or a storage outage loses nothing. Layout under the root:
 * <pre>
 * {recordingId}/{rendition}/session.json        which recording the directory holds ({@link SpoolSession})
 * {recordingId}/{rendition}/000004.flv.part     being written (a crash leaves it half-written)
 * {recordingId}/{rendition}/000004.json         a finished slice's metadata, written before …
 * {recordingId}/{rendition}/000004.flv          … the file takes its final name
 * .quarantine/{recordingId}/{rendition}/…       slices that can never be stored under their key (kept, not deleted)
 * </pre>
 */
public final class Spool {
    private static final Logger LOG = Logger.getLogger(Spool.class);
    static final String SESSION = "session.json";
    static final String QUARANTINE = ".quarantine";
    static final String STANDBY = ".standby";

    private final Path root;
    private final ObjectMapper json = new ObjectMapper().findAndRegisterModules()
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private final ConcurrentHashMap<Path, Pending> pending = new ConcurrentHashMap<>();

    private record Pending(SpoolEntry entry, long bytes) {
    }

    /** A slice file a crash left half-written, with the session it belongs to. */
    public record Partial(SpoolSession session, long seq, Path file) {
    }

    public Spool(Path root) {
        this.root = root;
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the spool directory " + root, e);
        }
    }

    public Path root() {
        return root;
    }

    /** The directory a rendition's pull writes into. */
    public Path dirOf(String recordingId, String rendition) {
        return root.resolve(StorageKeys.id(recordingId)).resolve(StorageKeys.rendition(rendition));
    }

    /**
     * Where a standby pull keeps its slices: apart from the spool proper, since they are numbered in the standby's own
     * order and belong to no upload until it becomes the owner. A start clears them ({@link #clearStandbys}).
     */
    public Path standbyDirOf(String recordingId, String rendition) {
        return root.resolve(STANDBY).resolve(StorageKeys.id(recordingId)).resolve(StorageKeys.rendition(rendition));
    }

    /** Deletes what a standby pull of a rendition left. */
    public void clearStandby(String recordingId, String rendition) {
        deleteTree(standbyDirOf(recordingId, rendition));
        try {
            Files.deleteIfExists(standbyDirOf(recordingId, rendition).getParent());
        } catch (IOException e) {
            LOG.debugf("standby directory of %s stays: %s", recordingId, e.getMessage());
        }
    }

    /** Deletes what every standby pull left: at start, none of it belongs to anything. */
    public void clearStandbys() {
        deleteTree(root.resolve(STANDBY));
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.warnf("cannot delete %s: %s", dir, e.getMessage());
        }
    }

    /** Notes which recording a directory holds, before its pull writes anything. */
    public void begin(SpoolSession session) throws IOException {
        Path dir = dirOf(session.recordingId(), session.rendition());
        Files.createDirectories(dir);
        writeAtomically(dir.resolve(SESSION), json.writeValueAsBytes(session));
    }

    /** Takes a finished slice file: its metadata is made durable first, then the file gets its final name. */
    public SpoolEntry commit(SpoolEntry entry, SliceFile slice) throws IOException {
        Path dir = dirOf(entry.recordingId(), entry.rendition());
        writeAtomically(dir.resolve(entry.metaName()), json.writeValueAsBytes(entry));
        Path file = dir.resolve(entry.fileName());
        move(slice.file(), file);
        pending.put(file, new Pending(entry, Files.size(file)));
        return entry;
    }

    /** Where a committed entry's file is. */
    public Path fileOf(SpoolEntry entry) {
        return dirOf(entry.recordingId(), entry.rendition()).resolve(entry.fileName());
    }

    /** The entry was stored: its files leave the spool. */
    public void remove(SpoolEntry entry) throws IOException {
        Path file = fileOf(entry);
        Files.deleteIfExists(file);
        Files.deleteIfExists(file.resolveSibling(entry.metaName()));
        pending.remove(file);
    }

    /** The entry can never be stored under its key: it is moved aside, kept for an operator, and no longer pending. */
    public Path quarantine(SpoolEntry entry) throws IOException {
        Path file = fileOf(entry);
        Path target = root.resolve(QUARANTINE).resolve(entry.recordingId()).resolve(entry.rendition());
        Files.createDirectories(target);
        move(file.resolveSibling(entry.metaName()), target.resolve(entry.metaName()));
        move(file, target.resolve(entry.fileName()));
        pending.remove(file);
        return target.resolve(entry.fileName());
    }

    /** A rendition's pull ended and everything of it is stored: its directory goes when nothing else is left in it. */
    public void end(String recordingId, String rendition) {
        Path dir = dirOf(recordingId, rendition);
        try {
            if (list(dir).stream().allMatch(p -> p.getFileName().toString().equals(SESSION))) {
                Files.deleteIfExists(dir.resolve(SESSION));
                Files.deleteIfExists(dir);
                Files.deleteIfExists(dir.getParent());
            }
        } catch (IOException e) {
            LOG.debugf("spool directory %s stays: %s", dir, e.getMessage());
        }
    }

    /**
     * Every finished slice left in the spool, in the order they must be uploaded: by recording and rendition,
     * then by sequence. A slice whose metadata was written but whose file kept its {@code .part} name (a crash
     * between the two steps) is completed here.
     */
    public List<SpoolEntry> recover() throws IOException {
        List<SpoolEntry> out = new ArrayList<>();
        for (Path dir : renditionDirs()) {
            for (Path meta : list(dir)) {
                String name = meta.getFileName().toString();
                if (!name.endsWith(".json") || name.equals(SESSION)) {
                    continue;
                }
                SpoolEntry entry = json.readValue(meta.toFile(), SpoolEntry.class);
                Path file = dir.resolve(entry.fileName());
                Path part = dir.resolve(SliceFile.partName(entry.seq()));
                if (!Files.exists(file) && Files.exists(part)) {
                    move(part, file);
                }
                if (!Files.exists(file)) {
                    LOG.warnf("spool metadata %s has no slice file; dropping the metadata", meta);
                    Files.delete(meta);
                    continue;
                }
                pending.put(file, new Pending(entry, Files.size(file)));
                out.add(entry);
            }
        }
        out.sort(Comparator.comparing(SpoolEntry::recordingId).thenComparing(SpoolEntry::rendition).thenComparingLong(SpoolEntry::seq));
        return out;
    }

    /** Slice files a crash left half-written (no metadata), with the session they belong to when it is known. */
    public List<Partial> partials() throws IOException {
        List<Partial> out = new ArrayList<>();
        for (Path dir : renditionDirs()) {
            Path sessionFile = dir.resolve(SESSION);
            Optional<SpoolSession> session = Files.exists(sessionFile)
                    ? Optional.of(json.readValue(sessionFile.toFile(), SpoolSession.class)) : Optional.empty();
            for (Path p : list(dir)) {
                String name = p.getFileName().toString();
                if (!name.endsWith(SliceFile.PART)) {
                    continue;
                }
                long seq = Long.parseLong(name.substring(0, name.indexOf('.')));
                if (Files.exists(dir.resolve("%06d.json".formatted(seq)))) {
                    continue;
                }
                if (session.isEmpty()) {
                    LOG.warnf("half-written slice %s has no session.json; leaving it in place", p);
                    continue;
                }
                out.add(new Partial(session.get(), seq, p));
            }
        }
        return out;
    }

    /** The highest sequence number waiting in the spool for a rendition. */
    public OptionalLong maxPendingSeq(String recordingId, String rendition) {
        return pending.values().stream().map(Pending::entry)
                .filter(e -> e.recordingId().equals(recordingId) && e.rendition().equals(rendition))
                .mapToLong(SpoolEntry::seq).max();
    }

    /** The sequence numbers of a rendition waiting in the spool. */
    public java.util.Set<Long> pendingSeqs(String recordingId, String rendition) {
        return pending.values().stream().map(Pending::entry)
                .filter(e -> e.recordingId().equals(recordingId) && e.rendition().equals(rendition))
                .map(SpoolEntry::seq).collect(java.util.stream.Collectors.toSet());
    }

    /** The pending entry with the highest sequence number of a rendition. */
    public Optional<SpoolEntry> lastPending(String recordingId, String rendition) {
        return pending.values().stream().map(Pending::entry)
                .filter(e -> e.recordingId().equals(recordingId) && e.rendition().equals(rendition))
                .max(Comparator.comparingLong(SpoolEntry::seq));
    }

    /** Bytes waiting for upload. */
    public long bytes() {
        return pending.values().stream().mapToLong(Pending::bytes).sum();
    }

    /** Slices waiting for upload. */
    public int count() {
        return pending.size();
    }

    /** How long the oldest waiting slice has waited, in seconds; 0 when the spool is empty. */
    public double oldestAgeSeconds(Instant now) {
        return pending.values().stream().map(p -> p.entry().finishedAt()).filter(t -> t != null).min(Comparator.naturalOrder())
                .map(t -> Math.max(0, now.toEpochMilli() - t.toEpochMilli()) / 1000.0).orElse(0.0);
    }

    private List<Path> renditionDirs() throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path rec : list(root)) {
            if (!Files.isDirectory(rec) || rec.getFileName().toString().startsWith(".")) {
                continue;
            }
            for (Path dir : list(rec)) {
                if (Files.isDirectory(dir)) {
                    out.add(dir);
                }
            }
        }
        return out;
    }

    private static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private static void writeAtomically(Path target, byte[] data) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.write(tmp, data);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        move(tmp, target);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

}
