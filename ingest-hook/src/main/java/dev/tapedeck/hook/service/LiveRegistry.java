package dev.tapedeck.hook.service;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.hook.config.HookConfig;
import dev.tapedeck.contract.kafka.CloudEventDeserializer;
import dev.tapedeck.contract.kafka.LiveEndHeaders;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * This replica's view of the live registry, the compacted {@code tapedeck.live}: the current session of every
 * live stream. Every replica reads the whole topic, so any replica decides a callback the same way, and a
 * restarted one knows the sessions opened before it started. Before a decision the view catches up with
 * everything written so far ({@link #catchUp}), so a publish answered by one replica is seen by the next.
 * <p>
 * For the reconnect window it keeps the sources' sessions that ended within the last
 * {@link HookConfig#longestReconnectWindow()}, from the tombstones' headers ({@link LiveEndHeaders}): the last
 * ended session of each source and the recording it wrote into.
 */
@ApplicationScoped
public class LiveRegistry {
    private static final Logger LOG = Logger.getLogger(LiveRegistry.class);

    private final String bootstrapServers;
    private final Map<String, StreamPublished> live = new ConcurrentHashMap<>();
    private final Map<String, LiveEndHeaders.Ended> ended = new ConcurrentHashMap<>();
    private final Duration lookback;
    private final java.time.Clock clock;
    private final Map<TopicPartition, Long> positions = new ConcurrentHashMap<>();
    private final Object progress = new Object();
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, CloudEvent<?>> consumer;
    private Thread thread;
    private Admin admin;

    LiveRegistry(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers, HookConfig config, java.time.Clock clock) {
        this.bootstrapServers = bootstrapServers;
        this.lookback = config.longestReconnectWindow();
        this.clock = clock;
    }

    void onStart(@Observes StartupEvent ev) {
        Properties a = new Properties();
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        a.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        a.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 2000);
        admin = Admin.create(a);
        thread = new Thread(this::loop, "live-registry");
        thread.setDaemon(true);
        thread.start();
    }

    void onStop(@Observes ShutdownEvent ev) {
        running = false;
        KafkaConsumer<String, CloudEvent<?>> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
    }

    /**
     * What this replica just wrote (acknowledged by the broker), visible at once to its next decision; reading the
     * registry confirms it moments later.
     */
    public void wrote(String streamKey, StreamPublished published) {
        if (published == null) {
            live.remove(streamKey);
        } else {
            live.put(streamKey, published);
        }
    }

    /** What this replica just wrote for the end of a stream's live session, visible at once to its next decision. */
    public void ended(String streamKey, StreamUnpublished end) {
        live.remove(streamKey);
        if (!end.derived() && end.recordingId() != null) {
            remember(streamKey, LiveEndHeaders.Ended.of(end));
        }
    }

    /**
     * The last ended session of a source within the longest reconnect window, as far as this replica has read; empty
     * when its name is live again or nothing of it ended lately.
     */
    public Optional<LiveEndHeaders.Ended> lastEnded(String streamKey) {
        if (live.containsKey(streamKey)) {
            return Optional.empty();
        }
        return Optional.ofNullable(ended.get(streamKey));
    }

    private void remember(String streamKey, LiveEndHeaders.Ended end) {
        if (end.endedAt().isAfter(clock.instant().minus(lookback))) {
            ended.merge(streamKey, end, (a, b) -> b.endedAt().isBefore(a.endedAt()) ? a : b);
        }
    }

    /** Forgets ends older than the longest reconnect window. */
    private void forgetOldEnds() {
        java.time.Instant oldest = clock.instant().minus(lookback);
        ended.values().removeIf(e -> e.endedAt().isBefore(oldest));
    }

    /** The live session of a stream, as far as this replica has read. */
    public Optional<StreamPublished> current(String streamKey) {
        return Optional.ofNullable(live.get(streamKey));
    }

    /**
     * Waits until the view holds every record the registry had when called, at most {@code max}.
     *
     * @return false when it could not within {@code max} (the broker is away): the view may be behind
     */
    public boolean catchUp(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        Map<TopicPartition, Long> ends;
        try {
            List<TopicPartition> parts = List.copyOf(positions.keySet());
            if (parts.isEmpty()) {
                return waitFor(() -> !positions.isEmpty(), deadline) && catchUp(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
            ends = admin.listOffsets(parts.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest())))
                    .all().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
                    .entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            LOG.warnf("cannot read the live registry's end offsets: %s", e.getMessage());
            return false;
        }
        return waitFor(() -> ends.entrySet().stream().allMatch(e -> positions.getOrDefault(e.getKey(), 0L) >= e.getValue()), deadline);
    }

    private boolean waitFor(java.util.function.BooleanSupplier done, long deadline) {
        synchronized (progress) {
            while (!done.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    progress.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    private static List<TopicPartition> partitions(KafkaConsumer<?, ?> c, String topic) {
        return c.partitionsFor(topic, Duration.ofSeconds(10)).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
    }

    private void loop() {
        while (running) {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, CloudEventDeserializer.class.getName());
            p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
            try (KafkaConsumer<String, CloudEvent<?>> c = new KafkaConsumer<>(p)) {
                consumer = c;
                List<TopicPartition> liveParts = partitions(c, Topics.LIVE);
                c.assign(liveParts);
                c.seekToBeginning(liveParts);
                live.clear();
                ended.clear();
                long forgotAt = System.nanoTime();
                while (running) {
                    for (ConsumerRecord<String, CloudEvent<?>> r : c.poll(Duration.ofMillis(100))) {
                        if (r.value() == null) {
                            live.remove(r.key());
                            LiveEndHeaders.read(r.headers()).ifPresent(end -> remember(r.key(), end));
                        } else if (r.value().data() instanceof StreamPublished sp) {
                            live.put(r.key(), sp);
                        }
                    }
                    if (System.nanoTime() - forgotAt > TimeUnit.SECONDS.toNanos(10)) {
                        forgetOldEnds();
                        forgotAt = System.nanoTime();
                    }
                    for (TopicPartition tp : liveParts) {
                        positions.put(tp, c.position(tp));
                    }
                    synchronized (progress) {
                        progress.notifyAll();
                    }
                }
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warnf("reading the live registry failed (%s); starting over in 1 s", e.getMessage());
                positions.clear();
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }
}
