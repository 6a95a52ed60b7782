package dev.tapedeck.hook.service;

import dev.tapedeck.hook.config.HookConfig;
import java.time.Clock;

/** Starts a second view of the live registry in a test, as another or a restarted replica would. */
public final class LiveRegistryAccess {
    private LiveRegistryAccess() {
    }

    public static LiveRegistry start(String bootstrapServers, HookConfig config) {
        LiveRegistry r = new LiveRegistry(bootstrapServers, config, Clock.systemUTC());
        r.onStart(null);
        return r;
    }

    public static void stop(LiveRegistry r) {
        r.onStop(null);
    }
}
