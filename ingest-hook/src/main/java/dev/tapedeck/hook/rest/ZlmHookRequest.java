package dev.tapedeck.hook.rest;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * ZLMediaKit's web hook body for {@code on_publish}, {@code on_play}, {@code on_stream_changed} and
 * {@code on_stream_none_reader} (the fields Tapedeck reads; the rest are ignored).
 *
 * @param mediaServerId the server's id from its config, {@code your_server_id}
 * @param app           {@code live}
 * @param stream        {@code test}
 * @param vhost         {@code __defaultVhost__}
 * @param schema        the protocol, {@code rtmp} (also {@code rtsp}, {@code ts}, {@code fmp4}, {@code hls} …)
 * @param params        the publisher's or player's URL query without '?', {@code token=1677193e-1244}
 * @param ip            {@code 10.0.17.132}
 * @param port          {@code 65284}
 * @param id            the TCP connection's unique id, {@code 140186529001776}
 * @param regist        {@code on_stream_changed}: true when the stream registered, false when it went away
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ZlmHookRequest(
        String mediaServerId,
        String app,
        String stream,
        String vhost,
        String schema,
        String params,
        String ip,
        Integer port,
        String id,
        Boolean regist) {
}
