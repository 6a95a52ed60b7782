package dev.tapedeck.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Writes how long each test class took, from its start to its end ({@code @BeforeAll}, its stack's start, every
 * method, {@code @AfterAll}), to the file named by {@code tapedeck.class-times} (the Failsafe run sets
 * {@code target/failsafe-reports/class-times.tsv}; without it nothing is written): one line per class with its name,
 * seconds, start and end. Classes run two at a time here, and the Failsafe reports then file a method under whichever
 * class happened to be reported (each method's own class name stays right); {@code infra/ci/durations.sh} reads the
 * class times from this file instead. Registered in {@code META-INF/services}.
 */
public final class ClassTimes implements TestExecutionListener {
    private static final String FILE_PROPERTY = "tapedeck.class-times";

    private final Map<String, Instant> started = new ConcurrentHashMap<>();

    @Override
    public void testPlanExecutionStarted(TestPlan plan) {
        Path file = file();
        if (file == null) {
            return;
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void executionStarted(TestIdentifier id) {
        if (isClass(id)) {
            started.put(id.getUniqueId(), Instant.now());
        }
    }

    @Override
    public void executionSkipped(TestIdentifier id, String reason) {
        if (isClass(id)) {
            write(id, Instant.now(), Instant.now());
        }
    }

    @Override
    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        Instant from = started.remove(id.getUniqueId());
        if (isClass(id) && from != null) {
            write(id, from, Instant.now());
        }
    }

    private static boolean isClass(TestIdentifier id) {
        return id.isContainer() && id.getSource().filter(ClassSource.class::isInstance).isPresent();
    }

    private static Path file() {
        String name = System.getProperty(FILE_PROPERTY, "");
        return name.isEmpty() ? null : Path.of(name);
    }

    private static synchronized void write(TestIdentifier id, Instant from, Instant to) {
        Path file = file();
        if (file == null) {
            return;
        }
        String name = id.getSource().map(ClassSource.class::cast).orElseThrow().getClassName();
        String line = String.format(Locale.ROOT, "%s\t%.3f\t%s\t%s%n", name, (to.toEpochMilli() - from.toEpochMilli()) / 1000.0, from, to);
        try {
            Files.writeString(file, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
