package dev.tapedeck.hook.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.hook.service.LifecycleEmitter.Delivery;
import dev.tapedeck.hook.service.LifecycleEmitter.Out;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the outbox keeps on disk reads back as the same records, tombstones included, for the next start. */
class OutboxFileTest {

    @Test
    void aKeptDeliveryReadsBackWhole(@TempDir Path dir) throws Exception {
        StreamPublished p = new StreamPublished("__defaultVhost__/live/a", "__defaultVhost__", "live", "a", "s1", "s1", false,
                "__defaultVhost__/live/a", "source", "nginx-rtmp", null, "7", "127.0.0.1", null, Instant.parse("2026-11-22T08:00:00Z"));
        CloudEvent<StreamPublished> ce = CloudEvent.of("ingest-hook", p, Clock.systemUTC());
        Delivery d = new Delivery(p.streamKey(), ce.type(), List.of(new Out(Topics.STREAMS, ce), new Out(Topics.LIVE, null)));
        Path file = dir.resolve("00000000000000000001.json");
        Outbox.write(file, d);

        Delivery back = Outbox.read(file);
        assertThat(back.streamKey()).isEqualTo(d.streamKey());
        assertThat(back.records()).hasSize(2);
        assertThat(back.records().get(0).topic()).isEqualTo(Topics.STREAMS);
        assertThat(back.records().get(0).event()).isEqualTo(ce);
        assertThat(back.records().get(1).event()).isNull();
        assertThat(Files.list(dir)).containsExactly(file);
    }
}
