package dev.tapedeck.hook.service;

/** What the hook answers the media server. */
public sealed interface Decision {

    /** The publish may go ahead; its events are in Kafka. */
    record Allow(String sessionId) implements Decision {
    }

    /**
     * The publish is refused.
     *
     * @param code      stable code: {@code INVALID_NAME}, {@code UNAUTHORIZED}, {@code RESERVED_APP}, {@code EVENT_NOT_ACKNOWLEDGED}
     * @param message   why, for the operator's logs
     * @param retryable true when the same publish may succeed later (the broker was down)
     */
    record Deny(String code, String message, boolean retryable) implements Decision {
    }
}
