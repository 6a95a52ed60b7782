package dev.tapedeck.recorder.pool;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.kafka.CloudEventDeserializer;
import dev.tapedeck.recorder.service.RecorderService;
import dev.tapedeck.recorder.service.RecordingSession;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * Follows the live registry's partitions this replica stands by for ({@link BusyAwareAssignor} names them after every
 * rebalance) and keeps a standby pull of every stream live there. A standby stops when its stream ends or its partition
 * goes to another standby; one whose partition this replica now owns stays, and becomes the owner's pull when the pool
 * hands the stream over ({@link RecorderService#own}). Reads with a consumer of its own, outside the group.
 */
public final class StandbyFollower implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(StandbyFollower.class);

    private final String bootstrapServers;
    private final RecorderService recorder;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Set<Integer> standby = Set.of();
    private volatile Set<Integer> owned = Set.of();
    /** What the followed partitions say is live: partition, streamKey, session. */
    private final Map<Integer, Map<String, StreamPublished>> live = new HashMap<>();
    private Set<Integer> followed = Set.of();
    private Map<TopicPartition, Long> loadEnds = Map.of();
    private boolean loaded;

    public StandbyFollower(String bootstrapServers, RecorderService recorder) {
        this.bootstrapServers = bootstrapServers;
        this.recorder = recorder;
        this.thread = new Thread(this::loop, "standby-follower");
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** The pool's latest word on this replica (any thread): what it owns and what it stands by for. */
    public void assigned(Set<Integer> owned, Set<Integer> standby) {
        if (!standby.equals(this.standby)) {
            LOG.infof("standing by for live-registry partitions %s", new TreeSet<>(standby));
        }
        this.owned = Set.copyOf(owned);
        this.standby = Set.copyOf(standby);
    }

    /** Partitions this replica stands by for now. */
    public Set<Integer> standby() {
        return standby;
    }

    private KafkaConsumer<String, CloudEvent<?>> consumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, CloudEventDeserializer.class.getName());
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        return new KafkaConsumer<>(p);
    }

    private void loop() {
        while (running) {
            try (KafkaConsumer<String, CloudEvent<?>> consumer = consumer()) {
                followed = Set.of();
                while (running) {
                    follow(consumer);
                    if (followed.isEmpty()) {
                        reconcile();
                        Thread.sleep(200);
                        continue;
                    }
                    for (ConsumerRecord<String, CloudEvent<?>> r : consumer.poll(Duration.ofMillis(200))) {
                        Map<String, StreamPublished> partition = live.computeIfAbsent(r.partition(), k -> new HashMap<>());
                        if (r.value() != null && r.value().data() instanceof StreamPublished sp) {
                            partition.put(r.key(), sp);
                        } else if (r.value() == null) {
                            partition.remove(r.key());
                        }
                    }
                    if (!loaded) {
                        loaded = loadEnds.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
                    }
                    if (loaded) {
                        reconcile();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                LOG.errorf(e, "following the live registry for standbys failed; again in 1 s");
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Reads the partitions stood by for and owned from their beginning whenever they change. */
    private void follow(KafkaConsumer<String, CloudEvent<?>> consumer) {
        Set<Integer> want = new TreeSet<>(standby);
        want.addAll(owned);
        if (want.equals(followed)) {
            return;
        }
        List<TopicPartition> tps = want.stream().map(n -> new TopicPartition(Topics.LIVE, n)).toList();
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        live.clear();
        loadEnds = tps.isEmpty() ? Map.of() : consumer.endOffsets(tps);
        loaded = false;
        followed = want;
    }

    /** Starts a standby for every stream live in a partition stood by for; stops the ones no longer wanted. */
    private void reconcile() {
        Set<Integer> standbyNow = standby;
        Set<Integer> ownedNow = owned;
        Set<String> keep = new HashSet<>();
        live.forEach((partition, streams) -> {
            boolean standing = standbyNow.contains(partition);
            if (!standing && !ownedNow.contains(partition)) {
                return;
            }
            for (StreamPublished p : streams.values()) {
                keep.add(p.sessionId());
                if (standing) {
                    recorder.standby(p);
                }
            }
        });
        for (RecordingSession s : recorder.standbys()) {
            if (!keep.contains(s.published().sessionId())) {
                LOG.infof("%s (session %s) ended or is stood by for elsewhere now", s.published().streamKey(), s.published().sessionId());
                recorder.dropStandby(s.published().sessionId());
            }
        }
    }

    /** Stops following and every standby pull. */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        recorder.standbys().forEach(s -> recorder.dropStandby(s.published().sessionId()));
    }
}
