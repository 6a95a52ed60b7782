package dev.tapedeck.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.event.StreamUnpublished;
import dev.tapedeck.contract.kafka.LiveEndHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class LiveEndHeadersTest {
    private static final Instant AT = Instant.parse("2026-11-22T19:43:29.569Z");

    private static StreamUnpublished end(boolean derived, String recordingId) {
        return new StreamUnpublished("__defaultVhost__/live/cam1", "__defaultVhost__", "live", "cam1", "s-1", derived, "nginx-rtmp",
                "17", AT, recordingId);
    }

    @Test
    void aSourcesEndReadsBackAsItsSessionRecordingAndTime() {
        assertThat(LiveEndHeaders.read(LiveEndHeaders.of(end(false, "r-1"))))
                .contains(new LiveEndHeaders.Ended("s-1", "r-1", AT));
    }

    @Test
    void aRungsEndOrOneWithoutARecordingSaysNothing() {
        assertThat(LiveEndHeaders.of(end(true, "r-1")).toArray()).isEmpty();
        assertThat(LiveEndHeaders.of(end(false, null)).toArray()).isEmpty();
        assertThat(LiveEndHeaders.read(null)).isEmpty();
    }

    @Test
    void aBrokenTimeIsNoEnd() {
        RecordHeaders h = new RecordHeaders();
        h.add(LiveEndHeaders.SESSION_ID, "s".getBytes(StandardCharsets.UTF_8));
        h.add(LiveEndHeaders.RECORDING_ID, "r".getBytes(StandardCharsets.UTF_8));
        h.add(LiveEndHeaders.ENDED_AT, "yesterday".getBytes(StandardCharsets.UTF_8));
        assertThat(LiveEndHeaders.read(h)).isEmpty();
    }
}
