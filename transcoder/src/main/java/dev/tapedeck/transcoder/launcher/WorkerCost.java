package dev.tapedeck.transcoder.launcher;

import dev.tapedeck.contract.Ladder;

/**
 * Resource requests of a worker, from its ladder: decoding the source plus encoding each rung, scaled
 * by the rung's pixels against 720p (x264 veryfast at 30 fps takes about 0.6 core per 720p rung).
 */
public record WorkerCost(int cpuMillis, int memoryMib) {
    private static final double PIXELS_720P = 1280.0 * 720.0;

    public static WorkerCost of(Ladder ladder) {
        double cpu = 300; // pull and decode of the source
        int memory = 256;
        for (Ladder.Rung r : ladder.rungs()) {
            double pixels = r.height() * (r.height() * 16.0 / 9.0);
            cpu += 600 * pixels / PIXELS_720P;
            memory += 64;
        }
        return new WorkerCost((int) Math.ceil(cpu / 50.0) * 50, memory);
    }
}
