package dev.tapedeck.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server (the machine's own binaries, Debian's {@code postgresql-15}) over a data directory of its
 * own, on a TCP port of 127.0.0.1, with a database {@code tapedeck} owned by the user {@code tapedeck} (trust
 * authentication: local use only). The server refuses to run as root, so as root it runs as the {@code postgres}
 * user, and the directories above the data directory are made searchable by it ({@code o+x}, never readable).
 */
public final class EmbeddedPostgres implements AutoCloseable {
    public static final String USER = "tapedeck";
    public static final String DATABASE = "tapedeck";
    private static final String OS_USER = "postgres";

    private final Path dataDir;
    private final int port;
    private final boolean durable;
    private final Path log;
    private volatile Process server;

    private EmbeddedPostgres(Path dataDir, int port, boolean durable, Path log) {
        this.dataDir = dataDir;
        this.port = port;
        this.durable = durable;
        this.log = log;
    }

    /**
     * Starts a server on {@code port} (0 picks a free one) over {@code dataDir}, initialized on first use and kept across
     * starts. {@code durable=false} turns off fsync, for tests: a machine crash may then lose the database.
     */
    public static EmbeddedPostgres start(Path dataDir, int port, boolean durable) throws Exception {
        Path dir = dataDir.toAbsolutePath();
        Files.createDirectories(dir);
        Path log = dir.resolveSibling(dir.getFileName() + ".log");
        EmbeddedPostgres pg = new EmbeddedPostgres(dir, port == 0 ? Ports.free() : port, durable, log);
        pg.initialize();
        pg.restart();
        return pg;
    }

    /** The newest server binaries of the machine, {@code /usr/lib/postgresql/N/bin}. */
    static Path binaries() {
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                var found = versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("postgres")))
                        .max(Comparator.comparingInt(b -> version(b.getParent().getFileName().toString())));
                if (found.isPresent()) {
                    return found.get();
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + root, e);
            }
        }
        throw new IllegalStateException("PostgreSQL is not installed: apt-get install postgresql-15");
    }

    private static int version(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** {@code command} as the server's user: itself, or {@code postgres} when this JVM runs as root. */
    private static List<String> asServerUser(List<String> command) {
        List<String> all = new ArrayList<>();
        if (root()) {
            // setpriv execs in place: the process started is the server itself, so signals reach it.
            all.addAll(List.of("setpriv", "--reuid=" + OS_USER, "--regid=" + OS_USER, "--init-groups", "--"));
        }
        all.addAll(command);
        return all;
    }

    private void initialize() throws Exception {
        if (root()) {
            run(List.of("chown", OS_USER + ":" + OS_USER, dataDir.toString()), "chown");
            for (Path p = dataDir.getParent(); p != null; p = p.getParent()) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    perms.add(PosixFilePermission.OTHERS_EXECUTE);
                    Files.setPosixFilePermissions(p, perms);
                }
            }
        }
        if (Files.exists(dataDir.resolve("PG_VERSION"))) {
            return;
        }
        run(asServerUser(List.of(binaries().resolve("initdb").toString(), "-D", dataDir.toString(), "-A", "trust", "-U", USER,
                "-E", "UTF8", "--locale=C", "--no-instructions")), "initdb");
    }

    /** Starts the server again after {@link #stop()}, on the same port and data. */
    public synchronized void restart() throws Exception {
        if (server != null && server.isAlive()) {
            return;
        }
        List<String> command = new ArrayList<>(List.of(binaries().resolve("postgres").toString(), "-D", dataDir.toString(),
                "-p", String.valueOf(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
                "-c", "max_connections=100", "-c", "shared_buffers=32MB"));
        if (!durable) {
            command.addAll(List.of("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"));
        }
        server = new ProcessBuilder(Sessions.own(asServerUser(command))).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!ready()) {
            if (!server.isAlive()) {
                throw new IllegalStateException("PostgreSQL did not start (exit " + server.exitValue() + "): " + tail());
            }
            if (System.nanoTime() > deadline) {
                close();
                throw new IllegalStateException("PostgreSQL did not accept connections within 60 s: " + tail());
            }
            Thread.sleep(50);
        }
        Process check = new ProcessBuilder(binaries().resolve("psql").toString(), "-h", "127.0.0.1", "-p", String.valueOf(port),
                "-U", USER, "-d", "postgres", "-tAc", "select 1 from pg_database where datname = '" + DATABASE + "'")
                .redirectErrorStream(true).start();
        String exists = new String(check.getInputStream().readAllBytes()).trim();
        check.waitFor();
        if (!exists.equals("1")) {
            run(List.of(binaries().resolve("createdb").toString(), "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", USER,
                    DATABASE), "createdb");
        }
    }

    private boolean ready() throws Exception {
        Process p = new ProcessBuilder(binaries().resolve("pg_isready").toString(), "-q", "-h", "127.0.0.1",
                "-p", String.valueOf(port), "-U", USER, "-d", "postgres").redirectErrorStream(true).start();
        return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    private static void run(List<String> command, String what) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(what + " failed: " + out);
        }
    }

    /** Makes the server unreachable, as an outage would (a fast shutdown: open sessions end); the data stays. */
    public synchronized void stop() throws Exception {
        Process s = server;
        if (s == null || !s.isAlive()) {
            return;
        }
        // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
        new ProcessBuilder("kill", "-INT", String.valueOf(s.pid())).start().waitFor();
        if (!s.waitFor(30, TimeUnit.SECONDS)) {
            s.destroyForcibly().waitFor();
        }
    }

    /** {@code jdbc:postgresql://127.0.0.1:port/tapedeck} */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    public int port() {
        return port;
    }

    /** The server's own log. */
    public Path log() {
        return log;
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws Exception {
        stop();
    }
}
