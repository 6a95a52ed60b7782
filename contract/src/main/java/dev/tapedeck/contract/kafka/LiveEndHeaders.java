package dev.tapedeck.contract.kafka;

import dev.tapedeck.contract.event.StreamUnpublished;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * What the tombstone of a source's live session on {@code tapedeck.live} says about the session it ends, so that a
 * reader of that one compacted topic knows the last ended session of each source (the reconnect window) without
 * reading {@code tapedeck.streams}. Compaction keeps a tombstone for the topic's {@code delete.retention.ms}
 * (24 h by default), far longer than any reconnect window.
 *
 * <p>Headers (UTF-8 strings): {@code tapedeck-session-id} ({@code 01a204c8-a83b-7beb-89fb-71e955c9880c}),
 * {@code tapedeck-recording-id} (the recording the session wrote into), {@code tapedeck-ended-at} (ISO-8601,
 * {@code 2026-11-22T19:43:29.569Z}). Only sources' tombstones carry them; a rung's tombstone carries none.
 */
public final class LiveEndHeaders {
    public static final String SESSION_ID = "tapedeck-session-id";
    public static final String RECORDING_ID = "tapedeck-recording-id";
    public static final String ENDED_AT = "tapedeck-ended-at";

    private LiveEndHeaders() {
    }

    /** A source session that ended: its id, the recording it wrote into and when it ended. */
    public record Ended(String sessionId, String recordingId, Instant endedAt) {
        public static Ended of(StreamUnpublished end) {
            return new Ended(end.sessionId(), end.recordingId(), end.unpublishedAt());
        }
    }

    /** The headers for the tombstone of {@code end}'s session; empty for a rung or an end without a recording. */
    public static Headers of(StreamUnpublished end) {
        RecordHeaders h = new RecordHeaders();
        if (!end.derived() && end.recordingId() != null && end.sessionId() != null && end.unpublishedAt() != null) {
            h.add(SESSION_ID, end.sessionId().getBytes(StandardCharsets.UTF_8));
            h.add(RECORDING_ID, end.recordingId().getBytes(StandardCharsets.UTF_8));
            h.add(ENDED_AT, end.unpublishedAt().toString().getBytes(StandardCharsets.UTF_8));
        }
        return h;
    }

    /** The session a tombstone ends, when it says so (all three headers, a parseable time). */
    public static Optional<Ended> read(Headers headers) {
        String session = text(headers, SESSION_ID);
        String recording = text(headers, RECORDING_ID);
        String at = text(headers, ENDED_AT);
        if (session == null || recording == null || at == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(new Ended(session, recording, Instant.parse(at)));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static String text(Headers headers, String name) {
        Header h = headers == null ? null : headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
