package dev.tapedeck.recorder.media;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One thread for every pull of the process: every 100 ms it asks each open input whether it should stop and, once it
 * should, sets that input's native interrupt flag (see {@link Demuxer}). A wait then gives up within about 100 ms.
 */
final class InterruptTicker {
    static final long PERIOD_MILLIS = 100;
    private static final Set<Watch> WATCHES = ConcurrentHashMap.newKeySet();
    private static final ScheduledExecutorService TICKER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pull-interrupts");
        t.setDaemon(true);
        return t;
    });

    static {
        TICKER.scheduleWithFixedDelay(InterruptTicker::tick, PERIOD_MILLIS, PERIOD_MILLIS, TimeUnit.MILLISECONDS);
    }

    private InterruptTicker() {
    }

    /** An input under watch; closing it stops the watch (before its flag is freed). */
    static final class Watch implements AutoCloseable {
        private final BooleanSupplier interrupted;
        private final Runnable interrupt;
        private boolean fired;

        private Watch(BooleanSupplier interrupted, Runnable interrupt) {
            this.interrupted = interrupted;
            this.interrupt = interrupt;
        }

        private synchronized void check() {
            if (!fired && WATCHES.contains(this) && interrupted.getAsBoolean()) {
                fired = true;
                interrupt.run();
            }
        }

        @Override
        public synchronized void close() {
            WATCHES.remove(this);
        }
    }

    /** Watches an input: {@code interrupt} runs once, on the ticker's thread, after {@code interrupted} said true. */
    static Watch watch(BooleanSupplier interrupted, Runnable interrupt) {
        Watch w = new Watch(interrupted, interrupt);
        WATCHES.add(w);
        w.check();
        return w;
    }

    private static void tick() {
        for (Watch w : WATCHES) {
            try {
                w.check();
            } catch (RuntimeException e) {
                // One pull's control failing must not stop the others' checks.
                org.jboss.logging.Logger.getLogger(InterruptTicker.class).warnf("checking a pull failed: %s", e.getMessage());
            }
        }
    }
}
