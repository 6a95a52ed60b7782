package dev.tapedeck.recorder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.kafka.CloudEventSerializer;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
class RecorderIT {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @Test
    void unreachableMediaServerClosesTheRecordingAsFailedWithoutSlices() throws Exception {
        String session = Ids.uuid7();
        StreamPublished published = new StreamPublished("__defaultVhost__/live/nosuch", "__defaultVhost__", "live", "nosuch",
                session, session, false, "__defaultVhost__/live/nosuch", "source", "nginx-rtmp", "127.0.0.1", "1", "127.0.0.1",
                "rtmp://127.0.0.1/live", Instant.now());
        try (TopicReader slices = new TopicReader(kafka, Topics.SLICES)) {
            slices.readToEnd();
            Properties p = new Properties();
            p.put("bootstrap.servers", kafka);
            try (var producer = new KafkaProducer<String, CloudEvent<?>>(p, new StringSerializer(), new CloudEventSerializer())) {
                producer.send(new ProducerRecord<>(Topics.STREAMS, published.streamKey(), CloudEvent.of("test", published, Clock.systemUTC())))
                        .get();
                // A redelivery of the same session starts nothing new.
                producer.send(new ProducerRecord<>(Topics.STREAMS, published.streamKey(), CloudEvent.of("test", published, Clock.systemUTC())))
                        .get();
            }
            RecordingClosed closed = (RecordingClosed) slices.await(r -> r.value().data() instanceof RecordingClosed c
                    && c.recordingId().equals(session), Duration.ofSeconds(60)).value().data();
            assertThat(closed.reason()).isEqualTo(RecordingClosed.Reason.FAILED);
            assertThat(closed.message()).contains("rtmp://127.0.0.1:").contains("/live/nosuch");
            assertThat(closed.slices()).isZero();
            assertThat(closed.lastSeq()).isEqualTo(-1);
            Thread.sleep(1000);
            assertThat(slices.readToEnd()).filteredOn(r -> r.key().startsWith(session))
                    .noneMatch(r -> r.value().data() instanceof SliceStored)
                    .hasSize(1);
        }
    }
}
