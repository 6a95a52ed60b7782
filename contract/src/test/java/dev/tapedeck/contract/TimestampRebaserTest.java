package dev.tapedeck.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.TimestampRebaser.Fault;
import dev.tapedeck.contract.TimestampRebaser.Rebased;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimestampRebaserTest {
    static final int VIDEO = 0;
    static final int AUDIO = 1;

    /** Video every 33 ms and audio every 23 ms from {@code from} to {@code to} (raw ms), interleaved by time. */
    static List<long[]> av(long from, long to) {
        List<long[]> packets = new ArrayList<>();
        long v = from;
        long a = from;
        while (v < to || a < to) {
            if (a <= v) {
                packets.add(new long[] {AUDIO, a});
                a += 23;
            } else {
                packets.add(new long[] {VIDEO, v});
                v += 33;
            }
        }
        return packets;
    }

    static List<Rebased> feed(TimestampRebaser r, List<long[]> packets) {
        return packets.stream().map(p -> r.rebase((int) p[0], p[1])).toList();
    }

    static void assertMonotonicPerStream(List<long[]> in, List<Rebased> out) {
        long[] last = {Long.MIN_VALUE, Long.MIN_VALUE};
        for (int i = 0; i < in.size(); i++) {
            int s = (int) in.get(i)[0];
            assertThat(out.get(i).dtsMillis()).as("packet %d of stream %d", i, s).isGreaterThan(last[s]);
            last[s] = out.get(i).dtsMillis();
        }
    }

    @Test
    void aContinuousStreamIsLeftAsItIs() {
        TimestampRebaser r = new TimestampRebaser(5_000);
        List<long[]> in = av(1_000, 20_000);
        List<Rebased> out = feed(r, in);
        for (int i = 0; i < in.size(); i++) {
            assertThat(out.get(i).dtsMillis()).isEqualTo(in.get(i)[1]);
        }
        assertThat(r.counts()).isEmpty();
    }

    @Test
    void timestampsThatRestartNearZeroContinueAfterTheLastOneWithOneRollback() {
        TimestampRebaser r = new TimestampRebaser(5_000);
        List<long[]> in = new ArrayList<>(av(0, 10_000));
        in.addAll(av(0, 10_000));
        List<Rebased> out = feed(r, in);
        assertMonotonicPerStream(in, out);
        assertThat(r.counts()).containsExactly(java.util.Map.entry(Fault.ROLLBACK, 1));
        long last = out.get(out.size() - 1).dtsMillis();
        assertThat(last).as("20 s of media span 20 s").isBetween(19_900L, 20_100L);
        assertThat(out.stream().filter(o -> o.fault() != null)).singleElement().satisfies(o -> assertThat(o.dtsMillis()).isBetween(9_990L, 10_100L));
    }

    @Test
    void aJumpForwardByAnHourIsClosed() {
        TimestampRebaser r = new TimestampRebaser(5_000);
        List<long[]> in = new ArrayList<>(av(0, 10_000));
        in.addAll(av(3_600_000 + 10_000, 3_600_000 + 20_000));
        List<Rebased> out = feed(r, in);
        assertMonotonicPerStream(in, out);
        assertThat(r.counts()).containsExactly(java.util.Map.entry(Fault.FORWARD_JUMP, 1));
        assertThat(out.get(out.size() - 1).dtsMillis()).isBetween(19_900L, 20_100L);
    }

    @Test
    void theThirtyTwoBitWrapContinuesTimeWithoutAFault() {
        TimestampRebaser r = new TimestampRebaser(5_000);
        long start = TimestampRebaser.WRAP_MILLIS - 5_000;
        List<long[]> in = av(start, start + 10_000).stream().map(p -> new long[] {p[0], p[1] % TimestampRebaser.WRAP_MILLIS}).toList();
        List<Rebased> out = feed(r, in);
        assertMonotonicPerStream(in, out);
        assertThat(out.stream().filter(o -> o.fault() != null)).allMatch(o -> o.fault() == Fault.WRAP);
        assertThat(out.get(out.size() - 1).dtsMillis() - out.get(0).dtsMillis()).isBetween(9_900L, 10_100L);
    }

    @Test
    void aPullThatStartsBelowZeroIsTakenFromZero() {
        // FFmpeg's demuxer reads a stream starting 3 s below the 32-bit wrap as -3 s up to 0, then on.
        TimestampRebaser r = new TimestampRebaser(5_000);
        List<long[]> in = av(-3_000, 3_000);
        List<Rebased> out = feed(r, in);
        assertMonotonicPerStream(in, out);
        assertThat(out.get(0).dtsMillis()).isZero();
        assertThat(out).allMatch(o -> o.dtsMillis() >= 0 && o.fault() == null);
        assertThat(out.get(out.size() - 1).dtsMillis()).isBetween(5_900L, 6_100L);
    }

    @Test
    void smallInterleavingSkewIsNoFault() {
        TimestampRebaser r = new TimestampRebaser(5_000);
        // Audio runs 400 ms behind video, as muxers interleave.
        List<long[]> in = new ArrayList<>();
        for (long t = 0; t < 10_000; t += 33) {
            in.add(new long[] {VIDEO, t + 400});
            in.add(new long[] {AUDIO, t});
        }
        feed(r, in);
        assertThat(r.counts()).isEmpty();
    }
}
