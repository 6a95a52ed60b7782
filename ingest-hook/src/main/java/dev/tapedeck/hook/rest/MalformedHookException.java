package dev.tapedeck.hook.rest;

/** A hook body that cannot be read; answered with 400. */
public class MalformedHookException extends RuntimeException {
    public MalformedHookException(String message) {
        super(message);
    }

    /** Reads a media server's JSON callback; an empty or unreadable body is malformed, with {@code server} named. */
    static <T> T readJson(com.fasterxml.jackson.databind.ObjectMapper mapper, String body, Class<T> type, String server) {
        if (body == null || body.isBlank()) {
            throw new MalformedHookException("empty body: expected " + server + "'s JSON callback");
        }
        try {
            return mapper.readValue(body, type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new MalformedHookException("body is not " + server + "'s JSON callback: " + e.getOriginalMessage());
        }
    }
}
