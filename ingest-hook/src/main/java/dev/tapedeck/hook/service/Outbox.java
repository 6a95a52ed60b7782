package dev.tapedeck.hook.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tapedeck.contract.event.EventCodec;
import dev.tapedeck.hook.config.HookConfig;
import dev.tapedeck.hook.service.LifecycleEmitter.Delivery;
import dev.tapedeck.hook.service.LifecycleEmitter.Out;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Events the broker did not acknowledge in time, kept in order and delivered once it is back: a publish allowed
 * in fail-open mode, and every unpublish (a media server does not wait for its answer, and a lost end would leave a
 * recording open). While the outbox holds events of a stream, newer events of that stream queue behind them, so
 * the stream's events reach Kafka in the order they happened. With {@code outbox-dir} set, each event is also a
 * file there until it is delivered, so a restarted replica delivers what its predecessor kept.
 */
@ApplicationScoped
public class Outbox {
    private static final Logger LOG = Logger.getLogger(Outbox.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Duration FIRST_RETRY = Duration.ofMillis(500);
    static final Duration MAX_RETRY = Duration.ofSeconds(5);

    private final LifecycleEmitter emitter;
    private final Optional<Path> dir;
    private final Deque<Entry> queue = new ArrayDeque<>();
    private final Map<String, Integer> pending = new HashMap<>();
    private long nextSeq;
    private volatile boolean running = true;
    private Thread drainer;
    private final io.micrometer.core.instrument.Counter failedAttempts;

    /** One kept event: the records not yet acknowledged, and the attempts still under way for them (or null). */
    private static final class Entry {
        final long seq;
        final long keptNanos = System.nanoTime();
        Delivery delivery;
        List<CompletableFuture<Void>> sent;

        Entry(long seq, Delivery delivery, List<CompletableFuture<Void>> sent) {
            this.seq = seq;
            this.delivery = delivery;
            this.sent = sent;
        }
    }

    Outbox(LifecycleEmitter emitter, HookConfig config, MeterRegistry metrics) {
        this.emitter = emitter;
        this.dir = config.outboxDir();
        metrics.gauge("tapedeck.hook.outbox.pending", this, Outbox::size);
        this.failedAttempts = metrics.counter("tapedeck.hook.outbox.failed.attempts");
    }

    void onStart(@Observes StartupEvent ev) throws IOException {
        if (dir.isPresent()) {
            Files.createDirectories(dir.get());
            for (Path f : files()) {
                try {
                    Delivery d = read(f);
                    long seq = Long.parseLong(f.getFileName().toString().replace(".json", ""));
                    enqueue(new Entry(seq, d, null));
                    nextSeq = Math.max(nextSeq, seq + 1);
                } catch (RuntimeException | IOException e) {
                    Path bad = f.resolveSibling(f.getFileName() + ".bad");
                    Files.move(f, bad, StandardCopyOption.REPLACE_EXISTING);
                    LOG.errorf("outbox file %s cannot be read (%s); kept as %s", f, e.getMessage(), bad);
                }
            }
            if (size() > 0) {
                LOG.infof("outbox: %d events kept before the restart will be delivered", size());
            }
        }
        drainer = new Thread(this::drain, "hook-outbox");
        drainer.setDaemon(true);
        drainer.start();
    }

    void onStop(@Observes ShutdownEvent ev) {
        running = false;
        if (drainer != null) {
            drainer.interrupt();
        }
        int left = size();
        if (left > 0) {
            if (dir.isPresent()) {
                LOG.warnf("outbox: %d events not yet delivered stay in %s for the next start", left, dir.get());
            } else {
                LOG.errorf("outbox: %d events not yet delivered are lost (set tapedeck.hook.outbox-dir to keep them)", left);
            }
        }
    }

    /** Whether events of this stream wait here; newer ones must then queue behind them. */
    public synchronized boolean holds(String streamKey) {
        return pending.containsKey(streamKey);
    }

    public synchronized int size() {
        return queue.size();
    }

    /**
     * Keeps a delivery until the broker acknowledged each of its records. {@code sent} is its first attempt if one is
     * under way (awaited, not repeated: a record acknowledged late is not written twice), or null.
     */
    public void keep(Delivery delivery, List<CompletableFuture<Void>> sent) {
        synchronized (this) {
            long seq = nextSeq++;
            dir.ifPresent(d -> write(d.resolve(String.format("%020d.json", seq)), delivery));
            enqueue(new Entry(seq, delivery, sent));
            notifyAll();
        }
        LOG.warnf("outbox: kept %s of %s until the broker is back (%d waiting)", delivery.type(), delivery.streamKey(), size());
    }

    /** Waits until no event of this stream waits here, at most {@code max}. */
    public synchronized boolean awaitDrained(String streamKey, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (pending.containsKey(streamKey)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private void enqueue(Entry e) {
        queue.addLast(e);
        pending.merge(e.delivery.streamKey(), 1, Integer::sum);
    }

    private synchronized Entry head() throws InterruptedException {
        while (queue.isEmpty()) {
            wait();
        }
        return queue.peekFirst();
    }

    private synchronized void delivered(Entry e) {
        queue.removeFirst();
        pending.computeIfPresent(e.delivery.streamKey(), (k, n) -> n == 1 ? null : n - 1);
        dir.ifPresent(d -> {
            try {
                Files.deleteIfExists(d.resolve(String.format("%020d.json", e.seq)));
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        });
        notifyAll();
    }

    /** Delivers the head, then the next, in order; records that failed are sent again after a growing pause. */
    private void drain() {
        Duration pause = FIRST_RETRY;
        while (running) {
            try {
                Entry e = head();
                List<CompletableFuture<Void>> attempt = e.sent != null ? e.sent : emitter.send(e.delivery);
                e.sent = null;
                List<Out> failed = new ArrayList<>();
                String why = null;
                for (int i = 0; i < attempt.size(); i++) {
                    try {
                        attempt.get(i).get(1, TimeUnit.MINUTES);
                    } catch (ExecutionException | TimeoutException ex) {
                        failed.add(e.delivery.records().get(i));
                        why = String.valueOf(ex.getMessage());
                    }
                }
                if (failed.isEmpty()) {
                    delivered(e);
                    pause = FIRST_RETRY;
                    LOG.infof("outbox: delivered %s of %s, kept %d ms (%d waiting)", e.delivery.type(), e.delivery.streamKey(),
                            (System.nanoTime() - e.keptNanos) / 1_000_000, size());
                    continue;
                }
                if (failed.size() < e.delivery.records().size()) {
                    e.delivery = new Delivery(e.delivery.streamKey(), e.delivery.type(), List.copyOf(failed));
                    dir.ifPresent(d -> write(d.resolve(String.format("%020d.json", e.seq)), e.delivery));
                }
                failedAttempts.increment();
                LOG.debugf("outbox: %s of %s not delivered yet (%s); again in %d ms", e.delivery.type(), e.delivery.streamKey(),
                        why, pause.toMillis());
                Thread.sleep(pause.toMillis());
                pause = pause.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : pause.multipliedBy(2);
            } catch (InterruptedException ie) {
                return;
            } catch (RuntimeException ex) {
                LOG.errorf(ex, "outbox: delivery failed unexpectedly");
            }
        }
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir.orElseThrow())) {
            return s.filter(p -> p.getFileName().toString().matches("\\d{20}\\.json")).sorted().toList();
        }
    }

    static void write(Path file, Delivery d) {
        ObjectNode root = JSON.createObjectNode().put("streamKey", d.streamKey()).put("type", d.type());
        ArrayNode records = root.putArray("records");
        for (Out o : d.records()) {
            ObjectNode r = records.addObject().put("topic", o.topic());
            if (o.event() == null) {
                r.putNull("event");
            } else {
                r.put("event", EventCodec.toStructured(o.event()));
            }
        }
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, JSON.writeValueAsBytes(root));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep an event in the outbox " + file, e);
        }
    }

    static Delivery read(Path file) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        List<Out> records = new ArrayList<>();
        for (JsonNode r : root.path("records")) {
            JsonNode ev = r.get("event");
            records.add(new Out(r.path("topic").asText(), ev == null || ev.isNull() ? null : EventCodec.fromStructured(ev.asText())));
        }
        if (records.isEmpty() || !root.hasNonNull("streamKey")) {
            throw new IOException("no records");
        }
        return new Delivery(root.get("streamKey").asText(), root.path("type").asText(), records);
    }
}
