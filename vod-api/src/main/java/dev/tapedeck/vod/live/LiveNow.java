package dev.tapedeck.vod.live;

import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.StreamPublished;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * What is live this second, as the live registry ({@code tapedeck.live}, compacted: one record per live stream, a
 * tombstone when it ends) says: every replica reads it whole from the beginning, in a consumer group of its own. It
 * holds only the streams live now, so it stays small whatever the catalog's size.
 */
@ApplicationScoped
public class LiveNow {
    private final Map<String, StreamPublished> live = new ConcurrentHashMap<>();

    /** A live source with its rungs live now. */
    public record Source(StreamPublished session, List<String> renditions) {
    }

    @Incoming("live")
    public void onRecord(ConsumerRecord<String, CloudEvent<?>> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            live.remove(record.key());
        } else if (record.value().data() instanceof StreamPublished p) {
            live.put(record.key(), p);
        }
    }

    /** Live sources, the newest first. */
    public List<Source> sources() {
        return live.values().stream().filter(p -> !p.derived()).sorted(Comparator.comparing(StreamPublished::publishedAt,
                Comparator.nullsLast(Comparator.<java.time.Instant>naturalOrder())).reversed()).map(this::withRungs).toList();
    }

    /** The live source {@code app/stream} of the default vhost or any other, if it is live. */
    public Optional<Source> source(String app, String stream) {
        return live.values().stream().filter(p -> !p.derived() && p.app().equals(app) && p.stream().equals(stream)).findFirst()
                .map(this::withRungs);
    }

    private Source withRungs(StreamPublished source) {
        List<String> rungs = live.values().stream().filter(p -> p.derived() && source.streamKey().equals(p.sourceStreamKey())
                && source.recordingId().equals(p.recordingId())).map(StreamPublished::rendition).sorted(RUNG_ORDER).toList();
        return new Source(source, java.util.stream.Stream.concat(java.util.stream.Stream.of("source"), rungs.stream()).toList());
    }

    /** 1080p before 720p before 480p …; names without a height last. */
    private static final Comparator<String> RUNG_ORDER = Comparator.comparingInt((String r) -> {
        try {
            return -Integer.parseInt(r.replaceAll("p$", ""));
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }).thenComparing(Comparator.naturalOrder());
}
