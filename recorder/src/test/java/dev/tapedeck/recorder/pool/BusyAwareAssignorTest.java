package dev.tapedeck.recorder.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class BusyAwareAssignorTest {
    static final String T = "tapedeck.live";
    static final TopicPartition P0 = new TopicPartition(T, 0);
    static final TopicPartition P1 = new TopicPartition(T, 1);
    static final TopicPartition P2 = new TopicPartition(T, 2);
    static final Set<TopicPartition> ALL = sorted(P0, P1, P2);

    static Set<TopicPartition> sorted(TopicPartition... tps) {
        Set<TopicPartition> s = new TreeSet<>(BusyAwareAssignor.ORDER);
        s.addAll(List.of(tps));
        return s;
    }

    static Subscription member(Set<TopicPartition> busy, TopicPartition... owned) {
        return new Subscription(List.of(T), BusyAwareAssignor.encode(new BusyAwareAssignor.Load(busy, Set.of(), false)), List.of(owned));
    }

    static Subscription full(Set<TopicPartition> busy, Set<TopicPartition> waiting, TopicPartition... owned) {
        return new Subscription(List.of(T), BusyAwareAssignor.encode(new BusyAwareAssignor.Load(busy, waiting, true)), List.of(owned));
    }

    static Map<String, Set<TopicPartition>> plan(Map<String, Subscription> subs) {
        Map<String, Set<TopicPartition>> out = new TreeMap<>();
        subs.keySet().forEach(m -> out.put(m, new TreeSet<>(BusyAwareAssignor.ORDER)));
        return BusyAwareAssignor.plan(ALL, new TreeMap<>(subs), out);
    }

    @Test
    void aJoiningReplicaTakesOnlyIdlePartitionsNeverOneWithALiveRecording() {
        // b recorded everything after a was killed; a comes back. p1 and p2 hold recordings on b.
        var plan = plan(Map.of("a", member(Set.of()), "b", member(Set.of(P1, P2), P0, P1, P2)));
        assertThat(plan.get("b")).as("b gives up idle p0 only").containsExactly(P1, P2);
        assertThat(plan.get("a")).as("p0 moves in the next rebalance, once b let go of it").isEmpty();

        var next = plan(Map.of("a", member(Set.of()), "b", member(Set.of(P1, P2), P1, P2)));
        assertThat(next.get("a")).containsExactly(P0);
        assertThat(next.get("b")).containsExactly(P1, P2);
    }

    @Test
    void partitionsOfAReplicaThatLeftGoToTheEmptiestMember() {
        var plan = plan(Map.of("b", member(Set.of(P2), P2)));
        assertThat(plan.get("b")).containsExactly(P0, P1, P2);
        var two = plan(Map.of("b", member(Set.of(P2), P2), "c", member(Set.of())));
        assertThat(two.get("b")).contains(P2);
        assertThat(two.get("b").size() + two.get("c").size()).isEqualTo(3);
        assertThat(two.get("c")).isNotEmpty();
    }

    @Test
    void aPartitionClaimedTwiceGoesToOneMemberOnly() {
        var plan = plan(Map.of("a", member(Set.of(P0), P0), "b", member(Set.of(), P0, P1)));
        assertThat(plan.get("a")).contains(P0);
        assertThat(plan.get("b")).doesNotContain(P0);
    }

    @Test
    void aFullReplicaGivesUpAPartitionWhoseStreamWaitsAndAReplicaWithRoomTakesIt() {
        // a pulls as many streams as it may (p0); a stream of p1 waits for a free pull there.
        var plan = plan(Map.of("a", full(Set.of(P0), Set.of(P1), P0, P1), "b", member(Set.of(P2), P2)));
        assertThat(plan.get("a")).containsExactly(P0);
        assertThat(plan.get("b")).as("p1 moves in the next rebalance").containsExactly(P2);

        var next = plan(Map.of("a", full(Set.of(P0), Set.of(), P0), "b", member(Set.of(P2), P2)));
        assertThat(next.get("b")).containsExactly(P1, P2);
        assertThat(next.get("a")).as("a full member gets no free partition while another has room").containsExactly(P0);
    }

    @Test
    void aLoneFullReplicaKeepsItsWaitingStreams() {
        var plan = plan(Map.of("a", full(Set.of(P0), Set.of(P1), P0, P1, P2)));
        assertThat(plan.get("a")).containsExactly(P0, P1, P2);
    }

    @Test
    void theLoadRoundTripsThroughTheSubscription() {
        var load = new BusyAwareAssignor.Load(Set.of(P0, P2), Set.of(P1), true);
        assertThat(BusyAwareAssignor.decode(BusyAwareAssignor.encode(load))).isEqualTo(load);
        assertThat(BusyAwareAssignor.decode(null)).isEqualTo(BusyAwareAssignor.Load.IDLE);
    }

    static Subscription standingBy(Set<TopicPartition> busy, Set<TopicPartition> standby, TopicPartition... owned) {
        return new Subscription(List.of(T), BusyAwareAssignor.encode(new BusyAwareAssignor.Load(busy, Set.of(), false, standby)),
                List.of(owned));
    }

    static Map<String, BusyAwareAssignor.Load> loads(Map<String, Subscription> subs) {
        Map<String, BusyAwareAssignor.Load> out = new TreeMap<>();
        subs.forEach((m, s) -> out.put(m, BusyAwareAssignor.decode(s.userData())));
        return out;
    }

    @Test
    void everyPartitionHasAStandbyOnAnotherMemberAndKeepsIt() {
        Map<String, Subscription> subs = Map.of("a", member(Set.of(P0), P0, P1), "b", member(Set.of(), P2));
        var owners = plan(subs);
        var standbys = BusyAwareAssignor.standbys(ALL, loads(subs), owners, 2);
        for (TopicPartition tp : ALL) {
            String owner = owners.get("a").contains(tp) ? "a" : "b";
            String standby = standbys.get("a").contains(tp) ? "a" : standbys.get("b").contains(tp) ? "b" : null;
            assertThat(standby).as("standby of %s", tp).isNotNull().isNotEqualTo(owner);
        }
        // A third member joins: standbys stay where they are warm.
        Map<String, Subscription> three = Map.of("a", standingBy(Set.of(P0), standbys.get("a"), P0, P1),
                "b", standingBy(Set.of(), standbys.get("b"), P2), "c", member(Set.of()));
        var again = BusyAwareAssignor.standbys(ALL, loads(three), plan(three), 2);
        assertThat(again.get("a")).isEqualTo(standbys.get("a"));
        assertThat(again.get("b")).isEqualTo(standbys.get("b"));
        assertThat(BusyAwareAssignor.standbys(ALL, loads(subs), owners, 1).values()).as("redundancy 1: none").allMatch(Set::isEmpty);
        var alone = Map.of("a", member(Set.of(P0), P0, P1, P2));
        assertThat(BusyAwareAssignor.standbys(ALL, loads(alone), plan(alone), 2).get("a")).as("one member: none").isEmpty();
    }

    @Test
    void aStandbyIsOnAnotherNodeThanItsOwnerWhereThePoolHasOne() {
        // a and b on node n1 (a owns every partition, b stood by for all of them), c on n2.
        Map<String, Subscription> subs = Map.of("a", member(Set.of(P0, P1, P2), P0, P1, P2), "b", standingBy(Set.of(), Set.of(P0, P1, P2)),
                "c", member(Set.of()));
        var owners = plan(subs);
        assertThat(owners.get("a")).as("a keeps its busy partitions").containsExactlyInAnyOrderElementsOf(ALL);
        var standbys = BusyAwareAssignor.standbys(ALL, loads(subs), Map.of("a", "n1", "b", "n1", "c", "n2"), owners, 2);
        assertThat(standbys.get("c")).as("every standby moves off the owner's node").containsExactlyInAnyOrderElementsOf(ALL);
        assertThat(standbys.get("b")).isEmpty();
        // Without c, the other replica on the same node is better than none.
        Map<String, Subscription> two = Map.of("a", member(Set.of(P0, P1, P2), P0, P1, P2), "b", member(Set.of()));
        assertThat(BusyAwareAssignor.standbys(ALL, loads(two), Map.of("a", "n1", "b", "n1"), plan(two), 2).get("b"))
                .containsExactlyInAnyOrderElementsOf(ALL);
        // Nodes not known: as before, the fewest standbys first.
        var unknown = BusyAwareAssignor.standbys(ALL, loads(subs), owners, 2);
        assertThat(unknown.get("b")).as("b keeps the standbys it has").containsExactlyInAnyOrderElementsOf(ALL);
    }

    @Test
    void aPartitionWhoseOwnerLeftGoesToItsStandby() {
        // a owned p0..p2 and left; b and c remain, c stood by for p1.
        var plan = plan(Map.of("b", standingBy(Set.of(), Set.of(P0, P2)), "c", standingBy(Set.of(), Set.of(P1))));
        assertThat(plan.get("b")).containsExactly(P0, P2);
        assertThat(plan.get("c")).containsExactly(P1);
    }
}
