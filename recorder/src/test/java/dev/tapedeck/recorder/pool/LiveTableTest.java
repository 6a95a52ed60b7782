package dev.tapedeck.recorder.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.recorder.pool.LiveTable.Action;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LiveTableTest {
    static final String KEY = "__defaultVhost__/live/a";

    static StreamPublished session(String id) {
        return new StreamPublished(KEY, "__defaultVhost__", "live", "a", id, id, false, KEY, "source", "nginx-rtmp", null, "1",
                "127.0.0.1", null, Instant.EPOCH);
    }

    @Test
    void aNewOwnerResumesWhatIsLiveOnceThePartitionIsReadToItsEnd() {
        LiveTable t = new LiveTable();
        t.assigned(0, 1, 1);
        assertThat(t.apply(0, 0, KEY, session("s1"))).as("nothing is done while loading").isEmpty();
        assertThat(t.caughtUp(0, 1)).containsExactly(new Action.Own(session("s1")));
        assertThat(t.loading(0)).isFalse();
    }

    @Test
    void anEndThePreviousOwnerHandledIsNotRepeatedButOneItDidNotHandleIs() {
        LiveTable t = new LiveTable();
        // s1 published and ended before the committed offset (handled); s2 published, then ended after it.
        t.assigned(0, 3, 4);
        t.apply(0, 0, KEY, session("s1"));
        t.apply(0, 1, KEY, null);
        t.apply(0, 2, KEY, session("s2"));
        t.apply(0, 3, KEY, null);
        assertThat(t.caughtUp(0, 4)).containsExactly(new Action.End(session("s2"), 0, 3));
    }

    @Test
    void aRepeatedPublishOfTheSameSessionDoesNothingAndANewSessionEndsTheOldOne() {
        LiveTable t = new LiveTable();
        t.assigned(0, 0, 0);
        assertThat(t.caughtUp(0, 0)).isEmpty();
        assertThat(t.apply(0, 0, KEY, session("s1"))).containsExactly(new Action.Own(session("s1")));
        assertThat(t.apply(0, 1, KEY, session("s1"))).as("a redelivered publish").isEmpty();
        assertThat(t.apply(0, 2, KEY, session("s2"))).containsExactly(new Action.End(session("s1"), 0, 2), new Action.Own(session("s2")));
        assertThat(t.apply(0, 3, KEY, null)).containsExactly(new Action.End(session("s2"), 0, 3));
        assertThat(t.live(0)).isEmpty();
    }

    @Test
    void revokedPartitionsGiveBackTheirLiveStreamsAndAreForgotten() {
        LiveTable t = new LiveTable();
        t.assigned(1, 0, 0);
        t.caughtUp(1, 0);
        t.apply(1, 0, KEY, session("s1"));
        assertThat(t.partitionsWith(s -> s.sessionId().equals("s1"))).containsExactly(1);
        assertThat(t.revoked(1)).containsExactly(session("s1"));
        assertThat(t.apply(1, 1, KEY, null)).isEmpty();
        assertThat(t.partitions()).isEmpty();
        assertThat(List.of()).isEmpty();
    }
}
