package dev.tapedeck.recorder.pool;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Configurable;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Cooperative, sticky assignment that never moves a partition holding a live recording while its owner is in
 * the group: a replica that joins (a restart, a scale-up) takes only idle partitions and those whose owner
 * left, so no recording gets a gap because the pool changed size. Partitions are otherwise balanced by count.
 * <p>
 * Each member tells in its subscription its {@link Load}: which of its partitions are busy (they hold a stream
 * it records), which hold only streams waiting for a free pull, and whether it is full (at
 * {@code max-recordings}). A full member gives up its waiting-only partitions, and free partitions go to
 * members that are not full, so a stream over one replica's cap is recorded by another.
 * <p>
 * Under the cooperative protocol a partition moves in two rebalances: its owner first gives it up (it is left
 * out of the owner's assignment), then it is assigned as a free partition.
 */
public final class BusyAwareAssignor implements ConsumerPartitionAssignor, Configurable {
    /** Consumer property holding a {@code Supplier<Load>}: this member's load, sent with every join. */
    public static final String LOAD = "tapedeck.load";
    /** Consumer property holding a {@code Consumer<Standby>}: told this member's part after every rebalance. */
    public static final String STANDBY = "tapedeck.standby";
    /** Consumer property: how many replicas pull each live stream (1: its owner; 2: its owner and a standby). */
    public static final String REDUNDANCY = "tapedeck.redundancy";

    /**
     * This member's part after a rebalance.
     *
     * @param owned   partitions it owns
     * @param standby partitions whose streams it stands by for (another member owns them)
     */
    public record Standby(Set<TopicPartition> owned, Set<TopicPartition> standby) {
    }

    /**
     * What a member says of itself when it joins.
     *
     * @param busy    partitions holding a stream it records
     * @param waiting partitions whose streams all wait for a free pull here
     * @param full    true when it pulls as many streams as it may
     * @param standby partitions it stands by for: it takes them first when their owner leaves
     */
    public record Load(Set<TopicPartition> busy, Set<TopicPartition> waiting, boolean full, Set<TopicPartition> standby) {
        public static final Load IDLE = new Load(Set.of(), Set.of(), false, Set.of());

        public Load(Set<TopicPartition> busy, Set<TopicPartition> waiting, boolean full) {
            this(busy, waiting, full, Set.of());
        }
    }

    static final Comparator<TopicPartition> ORDER = Comparator.comparing(TopicPartition::topic)
            .thenComparingInt(TopicPartition::partition);

    private Supplier<Load> load = () -> Load.IDLE;
    private java.util.function.Consumer<Standby> standby = s -> {
    };
    private int redundancy = 1;

    @Override
    @SuppressWarnings("unchecked")
    public void configure(Map<String, ?> configs) {
        Object supplier = configs.get(LOAD);
        if (supplier instanceof Supplier<?> s) {
            load = (Supplier<Load>) s;
        }
        if (configs.get(STANDBY) instanceof java.util.function.Consumer<?> c) {
            standby = (java.util.function.Consumer<Standby>) c;
        }
        if (configs.get(REDUNDANCY) != null) {
            redundancy = Integer.parseInt(configs.get(REDUNDANCY).toString());
        }
    }

    @Override
    public void onAssignment(Assignment assignment, org.apache.kafka.clients.consumer.ConsumerGroupMetadata metadata) {
        standby.accept(new Standby(Set.copyOf(assignment.partitions()), partitions(text(assignment.userData()))));
    }

    @Override
    public String name() {
        return "tapedeck-busy-aware";
    }

    @Override
    public List<RebalanceProtocol> supportedProtocols() {
        return List.of(RebalanceProtocol.COOPERATIVE);
    }

    @Override
    public ByteBuffer subscriptionUserData(Set<String> topics) {
        return encode(load.get());
    }

    @Override
    public GroupAssignment assign(Cluster metadata, GroupSubscription group) {
        Map<String, Subscription> subs = new TreeMap<>(group.groupSubscription());
        TreeSet<TopicPartition> all = new TreeSet<>(ORDER);
        for (Subscription s : subs.values()) {
            for (String topic : s.topics()) {
                List<PartitionInfo> infos = metadata.partitionsForTopic(topic);
                if (infos != null) {
                    infos.forEach(i -> all.add(new TopicPartition(topic, i.partition())));
                }
            }
        }
        Map<String, Set<TopicPartition>> members = new TreeMap<>();
        subs.keySet().forEach(m -> members.put(m, new TreeSet<>(ORDER)));
        Map<String, Set<TopicPartition>> owners = plan(all, subs, members);
        Map<String, Load> loads = new HashMap<>();
        subs.forEach((m, s) -> loads.put(m, decode(s.userData())));
        Map<String, String> nodes = new HashMap<>();
        subs.forEach((m, s) -> s.rackId().ifPresent(rack -> nodes.put(m, rack)));
        return new GroupAssignment(toAssignments(owners, standbys(all, loads, nodes, owners, redundancy)));
    }

    /** As {@link #standbys(Set, Map, Map, Map, int)} with no member's node known. */
    static Map<String, Set<TopicPartition>> standbys(Set<TopicPartition> all, Map<String, Load> loads,
            Map<String, Set<TopicPartition>> owners, int redundancy) {
        return standbys(all, loads, Map.of(), owners, redundancy);
    }

    /**
     * Who stands by for each partition when {@code redundancy} is 2: a member other than its owner, on another node than
     * the owner's where the pool has one ({@code nodes}: member to its {@code client.rack}; a member without one counts
     * as another node); among those, the one that did before where it still may, else the one with the fewest standbys. A
     * pool of one member has no standby.
     */
    static Map<String, Set<TopicPartition>> standbys(Set<TopicPartition> all, Map<String, Load> loads, Map<String, String> nodes,
            Map<String, Set<TopicPartition>> owners, int redundancy) {
        Map<String, Set<TopicPartition>> out = new TreeMap<>();
        owners.keySet().forEach(m -> out.put(m, new TreeSet<>(ORDER)));
        if (redundancy < 2 || owners.size() < 2) {
            return out;
        }
        for (TopicPartition tp : all) {
            String owner = owners.entrySet().stream().filter(e -> e.getValue().contains(tp)).map(Map.Entry::getKey).findFirst().orElse(null);
            String ownerNode = owner == null ? null : nodes.get(owner);
            Set<String> others = new TreeSet<>(out.keySet());
            others.removeIf(m -> m.equals(owner));
            Set<String> apart = new TreeSet<>(others);
            apart.removeIf(m -> ownerNode != null && ownerNode.equals(nodes.get(m)));
            Set<String> candidates = apart.isEmpty() ? others : apart;
            String before = loads.entrySet().stream().filter(e -> e.getValue().standby().contains(tp) && candidates.contains(e.getKey()))
                    .map(Map.Entry::getKey).sorted().findFirst().orElse(null);
            String chosen = before != null ? before : out.entrySet().stream().filter(e -> candidates.contains(e.getKey()))
                    .min(Comparator.<Map.Entry<String, Set<TopicPartition>>>comparingInt(e -> e.getValue().size())
                            .thenComparingInt(e -> owners.get(e.getKey()).size()).thenComparing(Map.Entry::getKey))
                    .map(Map.Entry::getKey).orElseThrow();
            out.get(chosen).add(tp);
        }
        return out;
    }

    /** The assignment: owners keep what they own, over-full owners give up idle partitions, free ones go to the emptiest. */
    static Map<String, Set<TopicPartition>> plan(Set<TopicPartition> all, Map<String, Subscription> subs,
            Map<String, Set<TopicPartition>> out) {
        Map<TopicPartition, String> owner = new HashMap<>();
        Map<String, Load> loadOf = new HashMap<>();
        for (Map.Entry<String, Subscription> e : subs.entrySet()) {
            loadOf.put(e.getKey(), decode(e.getValue().userData()));
            for (TopicPartition tp : e.getValue().ownedPartitions()) {
                if (all.contains(tp) && owner.putIfAbsent(tp, e.getKey()) == null) {
                    out.get(e.getKey()).add(tp);
                }
            }
        }
        int members = Math.max(1, out.size());
        int ceiling = (all.size() + members - 1) / members;
        Set<TopicPartition> released = new HashSet<>();
        for (Map.Entry<String, Set<TopicPartition>> e : out.entrySet()) {
            Load load = loadOf.getOrDefault(e.getKey(), Load.IDLE);
            Set<TopicPartition> busy = load.busy();
            if (load.full() && out.values().stream().anyMatch(o -> o != e.getValue())) {
                // Streams over this member's cap go back to the pool, for a member with room.
                for (TopicPartition tp : List.copyOf(e.getValue())) {
                    if (load.waiting().contains(tp) && !busy.contains(tp)) {
                        e.getValue().remove(tp);
                        released.add(tp);
                    }
                }
            }
            List<TopicPartition> idle = new ArrayList<>(e.getValue().stream().filter(tp -> !busy.contains(tp)).toList());
            java.util.Collections.reverse(idle);
            for (TopicPartition tp : idle) {
                if (e.getValue().size() <= ceiling) {
                    break;
                }
                e.getValue().remove(tp);
                released.add(tp);
            }
        }
        for (TopicPartition tp : all) {
            if (owner.containsKey(tp)) {
                continue;
            }
            // Its standby holds its streams already: no break in them when it takes them over.
            String warm = out.keySet().stream().filter(m -> loadOf.getOrDefault(m, Load.IDLE).standby().contains(tp)
                    && !loadOf.getOrDefault(m, Load.IDLE).full()).sorted().findFirst().orElse(null);
            if (warm != null) {
                out.get(warm).add(tp);
                continue;
            }
            String emptiest = out.entrySet().stream()
                    .min(Comparator.<Map.Entry<String, Set<TopicPartition>>, Boolean>comparing(
                                    e -> loadOf.getOrDefault(e.getKey(), Load.IDLE).full())
                            .thenComparingInt(e -> e.getValue().size())
                            .thenComparing(Map.Entry::getKey))
                    .map(Map.Entry::getKey).orElseThrow();
            out.get(emptiest).add(tp);
        }
        return out;
    }

    private static Map<String, Assignment> toAssignments(Map<String, Set<TopicPartition>> plan, Map<String, Set<TopicPartition>> standbys) {
        Map<String, Assignment> out = new HashMap<>();
        plan.forEach((m, tps) -> out.put(m, new Assignment(new ArrayList<>(tps),
                ByteBuffer.wrap(list(standbys.getOrDefault(m, Set.of())).getBytes(StandardCharsets.UTF_8)))));
        return out;
    }

    static ByteBuffer encode(Load load) {
        String text = list(load.busy()) + "|" + list(load.waiting()) + "|" + (load.full() ? "full" : "") + "|" + list(load.standby());
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    static Load decode(ByteBuffer data) {
        if (data == null || !data.hasRemaining()) {
            return Load.IDLE;
        }
        String[] parts = text(data).split("\\|", -1);
        return new Load(partitions(parts[0]), parts.length > 1 ? partitions(parts[1]) : Set.of(),
                parts.length > 2 && parts[2].equals("full"), parts.length > 3 ? partitions(parts[3]) : Set.of());
    }

    private static String text(ByteBuffer data) {
        if (data == null || !data.hasRemaining()) {
            return "";
        }
        byte[] bytes = new byte[data.remaining()];
        data.duplicate().get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String list(Set<TopicPartition> partitions) {
        return String.join(",", partitions.stream().map(tp -> tp.topic() + ":" + tp.partition()).sorted().toList());
    }

    private static Set<TopicPartition> partitions(String text) {
        Set<TopicPartition> out = new HashSet<>();
        for (String part : text.split(",")) {
            int colon = part.lastIndexOf(':');
            if (colon > 0) {
                out.add(new TopicPartition(part.substring(0, colon), Integer.parseInt(part.substring(colon + 1))));
            }
        }
        return out;
    }
}
