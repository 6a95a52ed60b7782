package dev.tapedeck.storage.quarkus;

import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.storage.StorageException;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only when the object store answers and the bucket is there (it is created on first check). */
@Readiness
@ApplicationScoped
public class StorageReadiness implements HealthCheck {
    private final ObjectStore store;

    StorageReadiness(ObjectStore store) {
        this.store = store;
    }

    @Override
    public HealthCheckResponse call() {
        try {
            store.ensureBucket();
            store.probe();
            return HealthCheckResponse.named("object-storage").up().withData("bucket", store.bucket()).build();
        } catch (StorageException e) {
            return HealthCheckResponse.named("object-storage").down().withData("bucket", store.bucket())
                    .withData("error", e.getMessage()).build();
        }
    }
}
