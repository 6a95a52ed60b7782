package dev.tapedeck.recorder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import dev.tapedeck.testkit.TopicWriter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** The recorder service on the real broker and S3 server, with no media server behind it. */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
class RecorderIT {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @ConfigProperty(name = "tapedeck.recorder.group-id")
    String group;

    @Inject
    MeterRegistry registry;

    RecordMetadata sendLive(String key, CloudEvent<?> value) throws Exception {
        return TopicWriter.send(kafka, Topics.LIVE, key, value);
    }

    /** Waits until the pool committed past {@code record}: it has handled it (and everything it started before). */
    void awaitHandled(RecordMetadata record) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka);
        TopicPartition tp = new TopicPartition(record.topic(), record.partition());
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try (Admin admin = Admin.create(p)) {
            while (true) {
                Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(Map.of(group,
                        new ListConsumerGroupOffsetsSpec())).partitionsToOffsetAndMetadata(group).get();
                OffsetAndMetadata o = offsets.get(tp);
                if (o != null && o.offset() > record.offset()) {
                    return;
                }
                assertThat(System.nanoTime()).as("the recorder pool handled %s within 60 s", record).isLessThan(deadline);
                Thread.sleep(50);
            }
        }
    }

    @Test
    void unreachableMediaServerClosesTheRecordingByTheIdleTimeoutAndRepeatsStartNothing() throws Exception {
        String session = Ids.uuid7();
        String key = "__defaultVhost__/live/nosuch-" + session.substring(30);
        StreamPublished published = new StreamPublished(key, "__defaultVhost__", "live", "nosuch-" + session.substring(30),
                session, session, false, key, "source", "nginx-rtmp", "127.0.0.1", "1", "127.0.0.1", "rtmp://127.0.0.1/live", Instant.now());
        double pullsBefore = registry.counter("tapedeck.recorder.pulls.started").count();
        try (TopicReader slices = new TopicReader(kafka, Topics.SLICES)) {
            sendLive(key, CloudEvent.of("test", published, Clock.systemUTC()));
            RecordingClosed closed = (RecordingClosed) slices.await(r -> r.value().data() instanceof RecordingClosed c
                    && c.recordingId().equals(session), Duration.ofSeconds(60)).value().data();
            // Tried again for the idle timeout (3 s in tests), then closed; the message names the pull and its last error.
            assertThat(closed.reason()).isEqualTo(RecordingClosed.Reason.IDLE_TIMEOUT);
            assertThat(closed.message()).contains("rtmp://127.0.0.1:").contains("/live/nosuch-").contains("last error");
            assertThat(closed.slices()).isZero();
            assertThat(closed.lastSeq()).isEqualTo(-1);

            // A redelivered publish of the same session, then its end: neither starts a pull or closes it again.
            awaitHandled(sendLive(key, CloudEvent.of("test", published, Clock.systemUTC())));
            awaitHandled(sendLive(key, null));
            assertThat(registry.counter("tapedeck.recorder.pulls.started").count() - pullsBefore).isEqualTo(1.0);
            assertThat(slices.readToEnd()).filteredOn(r -> r.key().startsWith(session))
                    .noneMatch(r -> r.value().data() instanceof SliceStored)
                    .hasSize(1);
        }
    }
}
