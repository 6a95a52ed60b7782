package dev.tapedeck.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JDK's class-data archive (dynamic AppCDS) of one service, beside its {@code quarkus-run.jar}: the classes a start
 * loads, parsed and verified once and mapped by every later JVM of the same build. A service's start takes about a third
 * less CPU with it (3.7 → 2.3 CPU s for the recorder on this machine), which counts for every stack start and every
 * restart of the self-healing stack.
 *
 * <p>The first JVM of a build records it when it exits, into a file of its own that is moved into place only once that
 * JVM ended by a normal exit or SIGTERM, so no JVM maps a half-written archive (one killed with SIGKILL records nothing;
 * the next start records again). While one JVM records, the others of that service start without an archive. A build
 * that rewrites the jar makes the archive stale, and it is recorded again. The JVM checks the class path against the
 * archive itself and runs without it, with a warning in its log, where they differ.
 */
final class ClassDataArchive {
    /** Archives a JVM of this process is recording now. */
    private static final Set<Path> RECORDING = ConcurrentHashMap.newKeySet();

    private final Path jar;
    private final Path file;

    private ClassDataArchive(Path jar) {
        this.jar = jar;
        this.file = jar.resolveSibling("tapedeck-cds.jsa");
    }

    static ClassDataArchive of(Path jar) {
        return new ClassDataArchive(jar);
    }

    /** How the next JVM of this service uses the archive: maps it, records it, or (while another records it) neither. */
    Use use() {
        if (fresh()) {
            return new Use(List.of("-XX:SharedArchiveFile=" + file), null);
        }
        if (!RECORDING.add(file)) {
            return new Use(List.of(), null);
        }
        Path part = file.resolveSibling("tapedeck-cds-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + ".jsa.part");
        // The classes it cannot archive (loaded, never linked) are each a warning line: not worth a service's log.
        return new Use(List.of("-XX:ArchiveClassesAtExit=" + part, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"), part);
    }

    private boolean fresh() {
        try {
            return Files.exists(file) && Files.getLastModifiedTime(file).compareTo(Files.getLastModifiedTime(jar)) >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** One JVM's use of the archive. */
    final class Use {
        private final List<String> options;
        private final Path part;

        private Use(List<String> options, Path part) {
            this.options = options;
            this.part = part;
        }

        /** Whether this JVM records the archive (at its clean exit). */
        boolean records() {
            return part != null;
        }

        /** The JVM options, placed before {@code -jar}. */
        List<String> jvmOptions() {
            return options;
        }

        /** The JVM was started: a recording is moved into place once it exits cleanly. */
        void startedAs(Process process) {
            if (part != null) {
                process.onExit().whenComplete((p, e) -> finish(p != null && (p.exitValue() == 0 || p.exitValue() == 143)));
            }
        }

        /** The JVM could not be started: nothing is recorded. */
        void abandoned() {
            if (part != null) {
                finish(false);
            }
        }

        private void finish(boolean complete) {
            try {
                if (complete && Files.exists(part) && Files.size(part) > 0) {
                    Files.move(part, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
                Files.deleteIfExists(part);
            } catch (IOException e) {
                // Without an archive the next start is only slower; it records again.
            } finally {
                RECORDING.remove(file);
            }
        }
    }
}
