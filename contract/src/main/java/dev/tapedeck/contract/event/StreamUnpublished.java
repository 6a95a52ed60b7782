package dev.tapedeck.contract.event;

import java.time.Instant;

/**
 * A publisher stopped. Written to {@code tapedeck.streams} when the media server reports the end of a publish.
 *
 * @param streamKey     {@code __defaultVhost__/live/demo}
 * @param vhost         {@code __defaultVhost__}
 * @param app           {@code live}
 * @param stream        {@code demo}
 * @param sessionId     the session that ended, when the hook still knows it; otherwise null
 * @param derived       true for a rung
 * @param mediaServer   {@code nginx-rtmp}
 * @param clientId      {@code 17}
 * @param unpublishedAt when the hook heard of it
 * @param recordingId   the recording the ended session wrote into (a republish within the reconnect window continues
 *                      it), when the hook knew the session; otherwise null
 */
public record StreamUnpublished(
        String streamKey,
        String vhost,
        String app,
        String stream,
        String sessionId,
        boolean derived,
        String mediaServer,
        String clientId,
        Instant unpublishedAt,
        String recordingId) implements TapedeckEvent {

    /** An end whose recording is not known. */
    public StreamUnpublished(String streamKey, String vhost, String app, String stream, String sessionId, boolean derived,
            String mediaServer, String clientId, Instant unpublishedAt) {
        this(streamKey, vhost, app, stream, sessionId, derived, mediaServer, clientId, unpublishedAt, null);
    }

    @Override
    public String subject() {
        return streamKey;
    }
}
