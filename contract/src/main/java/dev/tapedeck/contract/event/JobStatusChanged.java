package dev.tapedeck.contract.event;

import java.time.Instant;

/**
 * A transcoder worker's state, keyed by sessionId on {@code tapedeck.jobs}. Every worker ends in exactly
 * one final state (COMPLETE, FAILED, ABORTED or LIMIT_REACHED).
 *
 * @param sessionId {@code 0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10}
 * @param streamKey the source stream, {@code __defaultVhost__/live/demo}
 * @param status    the new state
 * @param worker    the worker's name: the Job name in a cluster, {@code local-1234} for a child process
 * @param scope     for a failure, who is at fault: SOURCE, DESTINATION or SYSTEM; else null
 * @param code      stable failure code, {@code SOURCE_UNREACHABLE}; for a COMPLETE without rungs why none were
 *                  needed, {@code AUDIO_ONLY}; else null
 * @param message   human-readable detail; else null
 * @param retryable whether running the same work again may succeed
 * @param at        when the state was entered
 */
public record JobStatusChanged(
        String sessionId,
        String streamKey,
        Status status,
        String worker,
        Scope scope,
        String code,
        String message,
        boolean retryable,
        Instant at) implements TapedeckEvent {

    /** Worker states; the last four are final. */
    public enum Status {
        STARTING, ACTIVE, ENDING, COMPLETE, FAILED, ABORTED, LIMIT_REACHED;

        /** True for the states a worker never leaves. */
        public boolean isFinal() {
            return ordinal() >= COMPLETE.ordinal();
        }
    }

    /** Who is at fault for a failure. */
    public enum Scope { SOURCE, DESTINATION, SYSTEM }

    @Override
    public String subject() {
        return streamKey;
    }
}
