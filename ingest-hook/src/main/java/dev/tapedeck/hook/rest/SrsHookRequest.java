package dev.tapedeck.hook.rest;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * SRS's HTTP callback body for {@code on_publish} / {@code on_unpublish}.
 *
 * @param action    {@code on_publish}
 * @param clientId  {@code 341w361a}
 * @param ip        {@code 127.0.0.1}
 * @param vhost     {@code __defaultVhost__}
 * @param app       {@code live}
 * @param stream    {@code livestream}
 * @param param     the query string, {@code ?token=xxx}
 * @param tcUrl     {@code rtmp://127.0.0.1/live}
 * @param streamUrl {@code /live/livestream}
 * @param streamId  {@code vid-2a3i5f8}
 * @param serverId  {@code vid-0xk989d}
 * @param serviceId {@code 5p7t9c8g}
 */
public record SrsHookRequest(
        String action,
        @JsonProperty("client_id") String clientId,
        String ip,
        String vhost,
        String app,
        String stream,
        String param,
        String tcUrl,
        @JsonProperty("stream_url") String streamUrl,
        @JsonProperty("stream_id") String streamId,
        @JsonProperty("server_id") String serverId,
        @JsonProperty("service_id") String serviceId) {
}
