package dev.tapedeck.recorder.pool;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.kafka.CloudEventDeserializer;
import dev.tapedeck.recorder.service.RecorderService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * This replica's share of the pool. Every recorder replica is a member of one consumer group over the
 * compacted live registry; a replica records the live streams of the partitions it is assigned
 * ({@link BusyAwareAssignor}), resumes them when it gets a partition, hands them over when it loses one
 * (revocation, SIGTERM), and ends a recording only when the registry says its stream ended.
 * <p>
 * Offsets: a publish is handled once its recording started; an end once its RecordingClosed was announced.
 * The committed offset is the first record not yet handled, so a replica that takes a partition over acts on
 * exactly the ends its previous owner did not finish.
 */
public final class LiveOwnership implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LiveOwnership.class);

    /**
     * @param bootstrapServers {@code 127.0.0.1:9092}
     * @param groupId          {@code tapedeck-recorder}
     * @param sessionTimeout   how long the group waits for a silent member before its partitions move
     * @param handoverTimeout  how long letting go of a partition may wait for its streams' last slices
     * @param redundancy       replicas that pull each live stream: 1 (its owner) or 2 (its owner and a standby)
     * @param node             the node this replica runs on (the group's {@code client.rack}): a stream's standby is
     *                         placed on another node where the pool has a member there; null when not known
     */
    public record Settings(String bootstrapServers, String groupId, Duration sessionTimeout, Duration handoverTimeout, int redundancy,
            String node) {
        public Settings(String bootstrapServers, String groupId, Duration sessionTimeout, Duration handoverTimeout) {
            this(bootstrapServers, groupId, sessionTimeout, handoverTimeout, 1, null);
        }
    }

    private final Settings settings;
    private final RecorderService recorder;
    private final LiveTable table = new LiveTable();
    /** The standby pulls of this replica, when streams have standbys (redundancy 2); null otherwise. */
    private final StandbyFollower standbys;
    private final Map<Integer, ConcurrentSkipListMap<Long, CompletableFuture<Void>>> pendingEnds = new ConcurrentHashMap<>();
    private final Map<Integer, Long> lastCommitted = new HashMap<>();
    private final Thread thread;
    private volatile KafkaConsumer<String, CloudEvent<?>> consumer;
    private volatile boolean running = true;
    private volatile Set<Integer> owned = Set.of();
    private Set<Integer> offered = Set.of();

    public LiveOwnership(Settings settings, RecorderService recorder) {
        this.settings = settings;
        this.recorder = recorder;
        this.thread = new Thread(this::loop, "live-ownership");
        this.standbys = settings.redundancy() >= 2 ? new StandbyFollower(settings.bootstrapServers(), recorder) : null;
    }

    public void start() {
        if (standbys != null) {
            standbys.start();
        }
        thread.start();
    }

    /** Partitions of the live registry whose streams this replica stands by for. */
    public Set<Integer> standby() {
        return standbys == null ? Set.of() : standbys.standby();
    }

    /** Partitions of the live registry this replica owns now. */
    public Set<Integer> owned() {
        return owned;
    }

    private KafkaConsumer<String, CloudEvent<?>> consumer() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, CloudEventDeserializer.class.getName());
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, BusyAwareAssignor.class.getName());
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) settings.sessionTimeout().toMillis());
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(100, settings.sessionTimeout().toMillis() / 4));
        // Lifecycle records must reach the recorder at once: a held publish waits for it to attach.
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        Supplier<BusyAwareAssignor.Load> load = this::load;
        p.put(BusyAwareAssignor.LOAD, load);
        p.put(BusyAwareAssignor.REDUNDANCY, settings.redundancy());
        if (settings.node() != null && !settings.node().isBlank()) {
            p.put(ConsumerConfig.CLIENT_RACK_CONFIG, settings.node());
        }
        java.util.function.Consumer<BusyAwareAssignor.Standby> part = a -> {
            if (standbys != null) {
                standbys.assigned(Set.copyOf(numbers(a.owned())), Set.copyOf(numbers(a.standby())));
            }
        };
        p.put(BusyAwareAssignor.STANDBY, part);
        return new KafkaConsumer<>(p);
    }

    /**
     * This replica's load for the assignor: partitions holding a stream it pulls stay here when the group
     * changes; partitions whose streams only wait for a free pull go to a replica with room when this one is full.
     */
    private BusyAwareAssignor.Load load() {
        Set<Integer> busy = table.partitionsWith(s -> recorder.recording(s.sessionId()) && !recorder.waiting(s.sessionId()));
        Set<Integer> waiting = new java.util.TreeSet<>(table.partitionsWith(s -> recorder.waiting(s.sessionId())));
        waiting.removeAll(busy);
        return new BusyAwareAssignor.Load(topicPartitions(busy), topicPartitions(waiting), recorder.full(), topicPartitions(standby()));
    }

    private static Set<TopicPartition> topicPartitions(Set<Integer> numbers) {
        return numbers.stream().map(n -> new TopicPartition(Topics.LIVE, n)).collect(Collectors.toSet());
    }

    /** A stream began to wait for a free pull here: ask the group once to move it to a replica with room. */
    private void offerWaiting() {
        Set<Integer> waiting = table.partitionsWith(s -> recorder.waiting(s.sessionId()));
        if (!waiting.isEmpty() && !waiting.equals(offered)) {
            LOG.warnf("this replica is full; offering partitions %s with waiting streams to the pool", waiting);
            consumer.enforceRebalance("streams waiting for a free pull in partitions " + waiting);
        }
        offered = waiting;
    }

    private void loop() {
        while (running) {
            try {
                consumer = consumer();
                consumer.subscribe(List.of(Topics.LIVE), new Rebalance());
                while (running) {
                    for (ConsumerRecord<String, CloudEvent<?>> r : consumer.poll(Duration.ofMillis(250))) {
                        StreamPublished published = r.value() != null && r.value().data() instanceof StreamPublished sp ? sp : null;
                        if (r.value() != null && published == null) {
                            LOG.warnf("ignoring a record of %s at %s-%d@%d that is not a StreamPublished", r.key(), r.topic(), r.partition(),
                                    r.offset());
                            continue;
                        }
                        act(table.apply(r.partition(), r.offset(), r.key(), published));
                    }
                    for (TopicPartition tp : consumer.assignment()) {
                        if (table.loading(tp.partition())) {
                            act(table.caughtUp(tp.partition(), consumer.position(tp)));
                        }
                    }
                    commit(false);
                    offerWaiting();
                }
            } catch (WakeupException e) {
                // stopping
            } catch (RuntimeException e) {
                LOG.errorf(e, "the live registry consumer failed; rejoining the pool in 1 s");
                sleepQuietly(1000);
            } finally {
                closeConsumer();
            }
        }
    }

    private void act(List<LiveTable.Action> actions) {
        for (LiveTable.Action a : actions) {
            if (a instanceof LiveTable.Action.Own own) {
                recorder.own(own.published());
            } else if (a instanceof LiveTable.Action.End end) {
                LOG.infof("%s (session %s) ended", end.published().streamKey(), end.published().sessionId());
                ConcurrentSkipListMap<Long, CompletableFuture<Void>> pending = pendingEnds.computeIfAbsent(end.partition(),
                        k -> new ConcurrentSkipListMap<>());
                CompletableFuture<Void> done = recorder.end(end.published());
                pending.put(end.offset(), done);
                done.whenComplete((v, e) -> pending.remove(end.offset(), done));
            }
        }
    }

    /** Commits, per partition read to its end, the first offset not yet handled. */
    private void commit(boolean sync) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (TopicPartition tp : consumer.assignment()) {
            if (table.loading(tp.partition())) {
                continue;
            }
            ConcurrentSkipListMap<Long, CompletableFuture<Void>> pending = pendingEnds.get(tp.partition());
            long offset = pending == null || pending.isEmpty() ? consumer.position(tp) : pending.firstKey();
            if (!Long.valueOf(offset).equals(lastCommitted.get(tp.partition()))) {
                offsets.put(tp, new OffsetAndMetadata(offset));
            }
        }
        if (offsets.isEmpty()) {
            return;
        }
        if (sync) {
            consumer.commitSync(offsets);
            offsets.forEach((tp, o) -> lastCommitted.put(tp.partition(), o.offset()));
        } else {
            consumer.commitAsync(offsets, (done, e) -> {
                if (e == null) {
                    done.forEach((tp, o) -> lastCommitted.put(tp.partition(), o.offset()));
                } else {
                    LOG.debugf("commit failed (retried with the next poll): %s", e.getMessage());
                }
            });
        }
    }

    /** Reacts to the group moving partitions. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(Set.copyOf(partitions));
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata c = committed.get(tp);
                table.assigned(tp.partition(), c == null ? 0 : c.offset(), ends.getOrDefault(tp, 0L));
                lastCommitted.remove(tp.partition());
            }
            consumer.seekToBeginning(partitions);
            owned = table.partitions();
            LOG.infof("assigned live-registry partitions %s; now owning %s", numbers(partitions), owned);
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            letGo(partitions);
            try {
                commit(true);
            } catch (RuntimeException e) {
                LOG.warnf("could not commit before letting go of %s: %s", numbers(partitions), e.getMessage());
            }
            forget(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            LOG.warnf("lost live-registry partitions %s (this replica was out of the group too long)", numbers(partitions));
            letGo(partitions);
            forget(partitions);
        }
    }

    /** Hands the partitions' streams over (and finishes the ends already under way) within the handover timeout. */
    private void letGo(Collection<TopicPartition> partitions) {
        long began = System.nanoTime();
        List<CompletableFuture<Void>> waits = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            for (StreamPublished p : table.live(tp.partition())) {
                waits.add(recorder.handover(p));
            }
            ConcurrentSkipListMap<Long, CompletableFuture<Void>> pending = pendingEnds.get(tp.partition());
            if (pending != null) {
                waits.addAll(pending.values());
            }
        }
        for (RecordingSessionEnd e : endsOf(partitions)) {
            recorder.endNow(e.published());
        }
        try {
            CompletableFuture.allOf(waits.toArray(CompletableFuture[]::new))
                    .get(settings.handoverTimeout().toMillis(), TimeUnit.MILLISECONDS);
            LOG.infof("let go of partitions %s in %d ms", numbers(partitions), (System.nanoTime() - began) / 1_000_000);
        } catch (java.util.concurrent.TimeoutException e) {
            LOG.warnf("letting go of partitions %s took over %s; what is not stored yet stays in the spool and is uploaded later",
                    numbers(partitions), settings.handoverTimeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            LOG.warnf("a stream failed while being handed over: %s", e.getCause().getMessage());
        }
    }

    private record RecordingSessionEnd(StreamPublished published) {
    }

    private List<RecordingSessionEnd> endsOf(Collection<TopicPartition> partitions) {
        List<RecordingSessionEnd> out = new ArrayList<>();
        for (var s : recorder.sessions()) {
            for (TopicPartition tp : partitions) {
                ConcurrentSkipListMap<Long, CompletableFuture<Void>> pending = pendingEnds.get(tp.partition());
                if (pending != null && pending.containsValue(s.finished())) {
                    out.add(new RecordingSessionEnd(s.published()));
                }
            }
        }
        return out;
    }

    private void forget(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            table.revoked(tp.partition());
            pendingEnds.remove(tp.partition());
            lastCommitted.remove(tp.partition());
        }
        owned = table.partitions();
    }

    private static List<Integer> numbers(Collection<TopicPartition> partitions) {
        return partitions.stream().map(TopicPartition::partition).sorted().toList();
    }

    private void closeConsumer() {
        KafkaConsumer<String, CloudEvent<?>> c = consumer;
        if (c == null) {
            return;
        }
        try {
            // Leaving the group revokes every partition here (the streams are handed over) and moves them at once.
            c.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(settings.handoverTimeout().plusSeconds(5)));
        } catch (RuntimeException e) {
            LOG.warnf("closing the live registry consumer: %s", e.getMessage());
        }
        consumer = null;
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Leaves the pool: every stream here is handed over (its current slice stored and announced) first. */
    @Override
    public void close() {
        if (standbys != null) {
            standbys.close();
        }
        running = false;
        KafkaConsumer<String, CloudEvent<?>> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(settings.handoverTimeout().plusSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
