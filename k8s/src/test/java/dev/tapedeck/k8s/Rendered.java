package dev.tapedeck.k8s;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** One overlay rendered with {@code kubectl kustomize}, offline, parsed into the Fabric8 model. */
final class Rendered {
    /** The k8s directory (the module's own). */
    static final Path K8S = Path.of("").toAbsolutePath();

    final String overlay;
    final List<HasMetadata> resources;

    private Rendered(String overlay, List<HasMetadata> resources) {
        this.overlay = overlay;
        this.resources = resources;
    }

    static Rendered overlay(String name) throws IOException, InterruptedException {
        Path dir = K8S.resolve("overlays").resolve(name);
        Process p;
        try {
            p = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(false).start();
        } catch (IOException e) {
            throw new IllegalStateException("kubectl is needed to render the overlays (kubectl kustomize, offline): " + e.getMessage(), e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("kubectl kustomize " + dir + " failed: " + err);
        }
        Object parsed = Serialization.unmarshal(new ByteArrayInputStream(out));
        List<HasMetadata> resources = new ArrayList<>();
        if (parsed instanceof List<?> list) {
            list.forEach(o -> resources.add((HasMetadata) o));
        } else if (parsed instanceof KubernetesList list) {
            resources.addAll(list.getItems());
        } else {
            resources.add((HasMetadata) parsed);
        }
        return new Rendered(name, resources);
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** Custom resources (Strimzi, KEDA) of this kind. */
    List<GenericKubernetesResource> custom(String kind) {
        return resources.stream().filter(r -> r instanceof GenericKubernetesResource && kind.equals(r.getKind()))
                .map(GenericKubernetesResource.class::cast).toList();
    }

    <T extends HasMetadata> Optional<T> named(Class<T> type, String name) {
        return all(type).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst();
    }

    /** The pod templates of every workload, by workload name. */
    Map<String, PodTemplateSpec> podTemplates() {
        Map<String, PodTemplateSpec> templates = new java.util.LinkedHashMap<>();
        all(Deployment.class).forEach(d -> templates.put(d.getMetadata().getName(), d.getSpec().getTemplate()));
        all(StatefulSet.class).forEach(s -> templates.put(s.getMetadata().getName(), s.getSpec().getTemplate()));
        all(Job.class).forEach(j -> templates.put(j.getMetadata().getName(), j.getSpec().getTemplate()));
        return templates;
    }

    /**
     * Whether some pod this overlay runs carries all of {@code labels}: a workload's, or an instance of a CloudNativePG
     * {@code Cluster} (its operator labels each instance {@code cnpg.io/cluster: <name>}).
     */
    boolean selectsPods(Map<String, String> labels) {
        boolean workload = podTemplates().values().stream().anyMatch(t -> t.getMetadata().getLabels() != null
                && t.getMetadata().getLabels().entrySet().containsAll(labels.entrySet()));
        boolean database = custom("Cluster").stream().anyMatch(c -> c.getApiVersion().startsWith("postgresql.cnpg.io/")
                && Map.of("cnpg.io/cluster", c.getMetadata().getName()).equals(labels));
        return workload || database;
    }

    static String read(Path file) throws IOException {
        return Files.readString(file);
    }
}
