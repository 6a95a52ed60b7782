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
 * @param recordingId the recording this session writes into; today the sessionId
 * @param derived     true for a rung published by the transcoder ({@code live-abr/demo_720p})
 * @param sourceStreamKey for a rung, the source's streamKey; otherwise the streamKey itself
 * @param rendition   {@code source} for a source stream, {@code 720p} … for a rung
 * @param mediaServer {@code nginx-rtmp}, {@code srs} or {@code zlmediakit}
 * @param serverId    the media server's id when it sends one, else the hook's peer address
 * @param clientId    the media server's id for the publisher connection, {@code 17}
 * @param clientAddr  publisher address, {@code 203.0.113.7}
 * @param tcUrl       {@code rtmp://media.example.com/live}
 * @param publishedAt when the hook accepted the publish
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
        Instant publishedAt) implements TapedeckEvent {

    @Override
    public String subject() {
        return streamKey;
    }
}
