package dev.tapedeck.storage.quarkus;

import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.storage.StorageSettings;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;

/** Makes one {@link ObjectStore} per service from {@link StorageConfig}. */
@ApplicationScoped
public class StorageProducer {

    @Produces
    @ApplicationScoped
    ObjectStore objectStore(StorageConfig config) {
        return new ObjectStore(new StorageSettings(config.endpoint(), config.accessKey().orElse(""),
                config.secretKey().orElse(""), config.bucket(), config.region(), config.pathStyle(),
                config.partSizeMib() * 1024L * 1024L));
    }

    void close(@Disposes ObjectStore store) {
        store.close();
    }
}
