package dev.tapedeck.hook.service;

import java.time.Duration;

/** The one time budget of a callback: everything the hook waits for while answering it shares it. */
public record Budget(long deadlineNanos) {

    public static Budget of(Duration total) {
        return new Budget(System.nanoTime() + total.toNanos());
    }

    /** What is left, never negative. */
    public Duration remaining() {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }
}
