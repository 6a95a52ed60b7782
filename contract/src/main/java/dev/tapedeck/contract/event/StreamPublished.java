package dev.tapedeck.contract.event;

import java.time.Instant;

/**
 * A publisher started a stream and was allowed. Written to {@code tapedeck.streams} before the hook answers.
 *
 * @param streamKey   {@code __defaultVhost__/live/demo}
 * @param vhost       {@code __defaultVhost__}
 * @param app         {@code live}
 * @param stream      {@code demo}
 * @param sessionId   UUIDv7 minted at the hook, {@code 0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10}
 * @param recordingId the recording this session writes into: its own sessionId when it opens one; the recording of the
 *                    stream's previous session when it was republished within the reconnect window; for a rung, its
 *                    source's recording
 * @param derived     true for a rung published by the transcoder ({@code live-abr/demo_720p})
 * @param sourceStreamKey for a rung, the source's streamKey; otherwise the streamKey itself
 * @param rendition   {@code source} for a source stream, {@code 720p} … for a rung
 * @param mediaServer {@code nginx-rtmp}, {@code srs} or {@code zlmediakit}
 * @param serverId    the media server's id when it sends one, else the hook's peer address
 * @param clientId    the media server's id for the publisher connection, {@code 17}
 * @param clientAddr  publisher address, {@code 203.0.113.7}
 * @param tcUrl       {@code rtmp://media.example.com/live}
 * @param publishedAt when the hook accepted the publish
 * @param reconnected true when the session continues a recording an earlier session opened (a source republished
 *                    within the reconnect window, or a rung of such a source): its first slice follows a gap
 */
public record StreamPublished(
        String streamKey,
        String vhost,
        String app,
        String stream,
        String sessionId,
        String recordingId,
        boolean derived,
        String sourceStreamKey,
        String rendition,
        String mediaServer,
        String serverId,
        String clientId,
        String clientAddr,
        String tcUrl,
        Instant publishedAt,
        boolean reconnected) implements TapedeckEvent {

    /** A session that opens its own recording (or a rung of one). */
    public StreamPublished(String streamKey, String vhost, String app, String stream, String sessionId, String recordingId,
            boolean derived, String sourceStreamKey, String rendition, String mediaServer, String serverId, String clientId,
            String clientAddr, String tcUrl, Instant publishedAt) {
        this(streamKey, vhost, app, stream, sessionId, recordingId, derived, sourceStreamKey, rendition, mediaServer, serverId,
                clientId, clientAddr, tcUrl, publishedAt, false);
    }

    /** The same session, filed under another recording. */
    public StreamPublished continuing(String recording) {
        return new StreamPublished(streamKey, vhost, app, stream, sessionId, recording, derived, sourceStreamKey, rendition, mediaServer,
                serverId, clientId, clientAddr, tcUrl, publishedAt, true);
    }

    @Override
    public String subject() {
        return streamKey;
    }
}
