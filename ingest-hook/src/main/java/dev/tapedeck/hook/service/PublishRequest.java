package dev.tapedeck.hook.service;

import java.util.Map;

/**
 * A publish or unpublish as any media server reports it.
 *
 * @param mediaServer {@code nginx-rtmp}, {@code srs}
 * @param vhost       {@code __defaultVhost__} (nginx-rtmp has no vhosts)
 * @param app         {@code live}
 * @param stream      {@code demo}
 * @param params      the publisher's query arguments, {@code token=…}
 * @param clientId    {@code 17}
 * @param clientAddr  {@code 203.0.113.7}
 * @param tcUrl       {@code rtmp://media.example.com/live}
 * @param serverId    the media server's id, or the hook caller's address
 */
public record PublishRequest(String mediaServer, String vhost, String app, String stream, Map<String, String> params,
        String clientId, String clientAddr, String tcUrl, String serverId) {

    public PublishRequest {
        params = params == null ? Map.of() : Map.copyOf(params);
    }
}
