package dev.tapedeck.recorder.media;

/**
 * What a pull asks while it reads: between packets, and about every 100 ms while a read waits for the network, so
 * an answer takes effect at once even when no packet comes (a media server that keeps its players connected after
 * the publisher left, a connection that went silent).
 */
@FunctionalInterface
public interface PullControl {

    /**
     * @param lastPacketNanos {@link System#nanoTime()} of the last packet this pull read, {@link Long#MIN_VALUE} before its first
     * @return null to go on reading; otherwise how the pull ends ({@link StreamEnd#STOPPED} or {@link StreamEnd#IDLE})
     */
    StreamEnd check(long lastPacketNanos);
}
