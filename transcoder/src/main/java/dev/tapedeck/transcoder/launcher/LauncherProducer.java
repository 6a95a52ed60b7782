package dev.tapedeck.transcoder.launcher;

import dev.tapedeck.transcoder.config.TranscoderConfig;
import dev.tapedeck.transcoder.service.JobEvents;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Instance;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** Picks the launcher {@code tapedeck.transcoder.launcher} names. */
@ApplicationScoped
public class LauncherProducer {

    @Produces
    @Singleton // no client proxy: the watcher checks which launcher it is
    WorkerLauncher launcher(TranscoderConfig config, JobEvents events, Instance<KubernetesClient> client) {
        return switch (config.launcher()) {
            case LOCAL -> new LocalWorkerLauncher(config, events);
            case KUBERNETES -> new KubernetesWorkerLauncher(client.get(), config);
        };
    }

    void close(@Disposes WorkerLauncher launcher) {
        if (launcher instanceof LocalWorkerLauncher local) {
            local.stop();
        }
    }
}
