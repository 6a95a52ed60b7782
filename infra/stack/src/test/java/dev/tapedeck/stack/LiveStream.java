package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.testkit.TopicReader;
import java.nio.file.Path;
import java.time.Duration;

/** A generated stream published to the stack in real time, with readers of what the pipeline writes about it. */
final class LiveStream implements AutoCloseable {
    final Stack stack;
    final TopicReader streams;
    final TopicReader slices;
    final TopicReader vods;
    final Publisher publisher;
    final StreamPublished published;

    /** Publishes {@code seconds} of 640x360 30 fps to {@code live/stream} and waits for its StreamPublished. */
    LiveStream(Stack stack, Path data, String stream, double seconds) throws Exception {
        this(stack, data, stream, seconds, 640, 360, 30);
    }

    /** Publishes {@code seconds} of {@code width}x{@code height} at {@code fps} to {@code live/stream}. */
    LiveStream(Stack stack, Path data, String stream, double seconds, int width, int height, int fps) throws Exception {
        this.stack = stack;
        this.streams = new TopicReader(stack.kafkaBootstrap(), Topics.STREAMS);
        this.slices = new TopicReader(stack.kafkaBootstrap(), Topics.SLICES);
        this.vods = new TopicReader(stack.kafkaBootstrap(), Topics.VODS);
        this.publisher = Publisher.start(stack.rtmpUrl("live", stream), width, height, fps, seconds, data.resolve(stream + ".log"));
        this.published = (StreamPublished) streams.await(r -> r.value() != null && r.value().data() instanceof StreamPublished p
                && p.stream().equals(stream), Duration.ofSeconds(30)).value().data();
    }

    String id() {
        return published.recordingId();
    }

    /** Waits until slice {@code seq} (or a later one) is announced. */
    void awaitSlice(long seq) {
        slices.await(r -> r.value().data() instanceof SliceStored s && s.recordingId().equals(id()) && s.seq() >= seq,
                Duration.ofSeconds(60));
    }

    /** The highest slice number announced so far. */
    long lastSeq() {
        return slices.seen().stream().filter(r -> r.value().data() instanceof SliceStored s && s.recordingId().equals(id()))
                .mapToLong(r -> ((SliceStored) r.value().data()).seq()).max().orElse(-1);
    }

    /** Waits for slice {@code seq}, then returns the recorder replica pulling the stream. */
    int holderAfterSlice(long seq) throws InterruptedException {
        awaitSlice(seq);
        return ReplayCheck.awaitHolder(stack, published.streamKey(), -1, Duration.ofSeconds(10));
    }

    /** Waits for the publisher to finish; it must succeed. */
    void awaitPublisher() throws InterruptedException {
        assertThat(publisher.await()).as(publisher.output()).isZero();
    }

    @Override
    public void close() {
        publisher.close();
        streams.close();
        slices.close();
        vods.close();
    }
}
