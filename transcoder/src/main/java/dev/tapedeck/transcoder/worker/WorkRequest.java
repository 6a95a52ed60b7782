package dev.tapedeck.transcoder.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tapedeck.contract.Ladder;
import dev.tapedeck.contract.event.EventCodec;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * What one worker does, handed to it as one JSON environment variable ({@link #ENV}).
 *
 * @param sessionId   the source's session, {@code 0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10}
 * @param recordingId the recording the rungs belong to
 * @param streamKey   the source, {@code __defaultVhost__/live/demo}
 * @param sourceUrl   {@code rtmp://srs:1935/live/demo}
 * @param publishUrl  base URL of the rungs, {@code rtmp://srs:1935/live-abr}: rung {@code 720p} goes to {@code …/demo_720p}
 * @param stream      the source's stream name, {@code demo}
 * @param ladder      the ladder spec, {@code 720p:2800k,480p:1400k,360p:800k}
 */
public record WorkRequest(String sessionId, String recordingId, String streamKey, String sourceUrl, String publishUrl,
        String stream, String ladder) {

    /** The environment variable carrying the request. */
    public static final String ENV = "TAPEDECK_WORK_REQUEST";

    public String toJson() {
        try {
            return EventCodec.mapper().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static WorkRequest fromJson(String json) {
        try {
            WorkRequest r = EventCodec.mapper().readValue(json, WorkRequest.class);
            Ladder.parse(r.ladder());
            return r;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(ENV + " is not a work request: " + e.getOriginalMessage());
        }
    }

    /**
     * Where rung {@code name} is published: {@code …/live-abr/demo_720p?token=…&recording=…}. The credential
     * lets the media server accept the reserved app; the recording id files the rung under its source's recording.
     */
    public String rungUrl(String name, String token) {
        StringBuilder url = new StringBuilder(publishUrl).append('/').append(stream).append('_').append(name);
        if (!publishUrl.contains("://")) {
            return url.toString(); // a directory (tests, benchmarks): plain files, no query
        }
        char sep = '?';
        if (token != null && !token.isEmpty()) {
            url.append(sep).append("token=").append(URLEncoder.encode(token, StandardCharsets.UTF_8));
            sep = '&';
        }
        if (recordingId != null) {
            url.append(sep).append("recording=").append(recordingId);
        }
        return url.toString();
    }

    /** The parsed ladder. */
    public Ladder parsedLadder() {
        return Ladder.parse(ladder);
    }
}
