package dev.tapedeck.contract;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A file of credentials, one {@code name value} pair a line ({@code #} starts a comment), read again whenever it
 * changes (an edit, or a Kubernetes Secret replaced under its mount). An edit that cannot be read keeps the pairs read
 * before. Errors name the file and the line, never what a line holds: a line may hold a key.
 */
public final class KeysFile {
    private final Path file;
    private final String lineFormat;
    private final Consumer<String> info;
    private final Consumer<String> error;
    private volatile Snapshot current;

    private record Snapshot(Map<String, String> pairs, FileTime modified, long size) {
    }

    /**
     * Reads {@code file} now: a file that cannot be read fails here. {@code lineFormat} describes a line in errors
     * (e.g. {@code "app/stream token"}); {@code info} hears reloads, {@code error} reloads that failed.
     */
    public KeysFile(Path file, String lineFormat, Consumer<String> info, Consumer<String> error) {
        this.file = file;
        this.lineFormat = lineFormat;
        this.info = info;
        this.error = error;
        this.current = read();
    }

    /** The pairs as the file holds them now, in file order; the last read ones when the file cannot be read. */
    public Map<String, String> pairs() {
        Snapshot s = current;
        try {
            if (!Files.getLastModifiedTime(file).equals(s.modified()) || Files.size(file) != s.size()) {
                current = s = read();
                info.accept("keys file " + file + " reloaded: " + s.pairs().size() + " entries");
            }
        } catch (IOException | RuntimeException e) {
            error.accept("keys file " + file + " could not be reloaded, keeping the " + s.pairs().size() + " entries read before: "
                    + e.getMessage());
        }
        return s.pairs();
    }

    private Snapshot read() {
        try {
            FileTime modified = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            List<String> lines = Files.readAllLines(file);
            Map<String, String> pairs = new LinkedHashMap<>();
            for (int n = 0; n < lines.size(); n++) {
                String l = lines.get(n).strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                String[] parts = l.split("\\s+");
                if (parts.length != 2) {
                    throw new IllegalStateException("keys file " + file + ": line " + (n + 1) + " is not '" + lineFormat + "'");
                }
                pairs.put(parts[0], parts[1]);
            }
            return new Snapshot(java.util.Collections.unmodifiableMap(pairs), modified, size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read keys file " + file, e);
        }
    }
}
