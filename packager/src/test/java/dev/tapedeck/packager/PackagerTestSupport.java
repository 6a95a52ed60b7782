package dev.tapedeck.packager;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.contract.event.TapedeckEvent;
import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.testkit.FlvTags;
import dev.tapedeck.testkit.TopicReader;
import dev.tapedeck.testkit.TopicWriter;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** What the packager's end-to-end tests share: the broker and the bucket, and events and slices as a recorder sends them. */
abstract class PackagerTestSupport {
    static final StreamKey KEY = new StreamKey("__defaultVhost__", "live", "pkg");

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @Inject
    ObjectStore store;

    void send(String key, TapedeckEvent event) throws Exception {
        send(Topics.SLICES, key, event);
    }

    void send(String topic, String key, TapedeckEvent event) throws Exception {
        TopicWriter.send(kafka, topic, key, CloudEvent.of("test", event, Clock.systemUTC()));
    }

    SliceStored slice(String id, long seq, String objectKey, long first, long duration) {
        return slice(id, "source", seq, objectKey, first, duration);
    }

    SliceStored slice(String id, String rendition, long seq, String objectKey, long first, long duration) {
        return new SliceStored(id, id, KEY.toString(), rendition, seq, objectKey, first, first + duration - 33, duration, 0, "", 4,
                false, 0, Instant.now());
    }

    static StreamPublished published(String recordingId, boolean derived, String rendition) {
        StreamKey own = derived ? new StreamKey(KEY.vhost(), KEY.app() + "-abr", KEY.stream() + "_" + rendition) : KEY;
        return new StreamPublished(own.toString(), own.vhost(), own.app(), own.stream(), derived ? Ids.uuid7() : recordingId,
                recordingId, derived, KEY.toString(), rendition, "nginx-rtmp", null, "1", "127.0.0.1", null, Instant.now());
    }

    /** The recording's first catalog entry that is not LIVE (READY, DEGRADED or FAILED), waiting up to a minute. */
    CatalogEntry awaitComplete(String id) throws Exception {
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            return (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id) && c.status() != CatalogEntry.Status.LIVE, Duration.ofSeconds(60)).value().data();
        }
    }

    /** The media tags of {@code tags} from {@code fromMillis} up to {@code toMillis}, after the sequence headers (at {@code fromMillis}). */
    static List<FlvTags.Tag> cut(List<FlvTags.Tag> tags, long fromMillis, long toMillis) {
        List<FlvTags.Tag> out = new java.util.ArrayList<>(FlvTags.media(tags, t -> fromMillis).stream().filter(t -> t.data()[1] == 0).toList());
        out.addAll(FlvTags.media(tags, t -> t).stream()
                .filter(t -> t.data()[1] != 0 && t.timestamp() >= fromMillis && t.timestamp() < toMillis).toList());
        return out;
    }

    /**
     * The DTS of the first video keyframe of {@code tags} whose presentation time (its DTS plus its composition time) is
     * at or after {@code ptsMillis}: where a recorder cuts a slice on that grid line; {@link Long#MAX_VALUE} past the end.
     */
    static long keyframeDtsAtOrAfter(List<FlvTags.Tag> tags, long ptsMillis) {
        for (FlvTags.Tag t : tags) {
            if (t.avcKeyframe() && t.timestamp() + t.compositionTime() >= ptsMillis) {
                return t.timestamp();
            }
        }
        return Long.MAX_VALUE;
    }
}
