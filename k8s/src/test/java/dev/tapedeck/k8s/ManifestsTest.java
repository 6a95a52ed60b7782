package dev.tapedeck.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Topics;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Both overlays rendered offline and checked resource by resource. */
class ManifestsTest {
    static final List<String> SERVICES = List.of("ingest-hook", "transcoder", "recorder", "packager", "vod-api");
    /** Names that say a value is a credential. */
    static final Pattern SECRET_NAME = Pattern.compile("(?i).*(secret|password|token|access[_-]?key|credential).*");

    static Rendered dev;
    static Rendered prod;

    @BeforeAll
    static void render() throws Exception {
        dev = Rendered.overlay("dev");
        prod = Rendered.overlay("prod");
    }

    static Stream<Rendered> both() {
        return Stream.of(dev, prod);
    }

    @Test
    void everyDeploymentHasProbesRequestsAndLimitsAndRunsAsNonRoot() {
        both().forEach(r -> {
            assertThat(r.all(Deployment.class)).extracting(d -> d.getMetadata().getName())
                    .as(r.overlay).containsAll(SERVICES).contains("srs");
            for (Deployment d : r.all(Deployment.class)) {
                String name = r.overlay + "/" + d.getMetadata().getName();
                var pod = d.getSpec().getTemplate().getSpec();
                for (Container c : pod.getContainers()) {
                    assertThat(c.getReadinessProbe()).as("%s readiness", name).isNotNull();
                    assertThat(c.getLivenessProbe()).as("%s liveness", name).isNotNull();
                    assertThat(c.getResources().getRequests()).as("%s requests", name).containsKeys("cpu", "memory");
                    assertThat(c.getResources().getLimits()).as("%s limits", name).containsKeys("cpu", "memory");
                    boolean nonRoot = Boolean.TRUE.equals(pod.getSecurityContext() == null ? null : pod.getSecurityContext().getRunAsNonRoot())
                            || c.getSecurityContext() != null && Boolean.TRUE.equals(c.getSecurityContext().getRunAsNonRoot());
                    assertThat(nonRoot).as("%s runs as non-root", name).isTrue();
                    assertThat(c.getSecurityContext()).as("%s container security context", name).isNotNull();
                    assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).as("%s read-only root", name).isTrue();
                    assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as(name).isFalse();
                }
            }
        });
    }

    @Test
    void everyContainerWithAReadOnlyRootHasAWritableTmp() {
        both().forEach(r -> r.podTemplates().forEach((workload, template) -> {
            for (Container c : template.getSpec().getContainers()) {
                if (c.getSecurityContext() != null && Boolean.TRUE.equals(c.getSecurityContext().getReadOnlyRootFilesystem())) {
                    assertThat(c.getVolumeMounts()).as("%s/%s mounts a volume at /tmp", r.overlay, workload)
                            .anyMatch(v -> v.getMountPath().equals("/tmp") && !Boolean.TRUE.equals(v.getReadOnly()));
                }
            }
        }));
    }

    @Test
    void noConfigMapHoldsASecret() {
        both().forEach(r -> {
            // Every value a Secret holds (user names included) is nowhere in a ConfigMap.
            List<String> secretValues = r.all(Secret.class).stream().flatMap(s -> Stream.concat(
                    s.getData() == null ? Stream.empty() : s.getData().values().stream()
                            .map(v -> new String(Base64.getMimeDecoder().decode(v), java.nio.charset.StandardCharsets.UTF_8)),
                    s.getStringData() == null ? Stream.empty() : s.getStringData().values().stream())).toList();
            assertThat(secretValues).as(r.overlay).allMatch(v -> v.length() >= 8);
            for (ConfigMap cm : r.all(ConfigMap.class)) {
                Map<String, String> data = cm.getData() == null ? Map.of() : cm.getData();
                assertThat(data.keySet()).as("%s/%s keys", r.overlay, cm.getMetadata().getName())
                        .noneMatch(k -> SECRET_NAME.matcher(k).matches() && !k.endsWith("_SECRET_NAME") && !k.endsWith("TOKEN_SECRET"));
                for (String value : data.values()) {
                    assertThat(secretValues).as("%s/%s holds a Secret's value", r.overlay, cm.getMetadata().getName())
                            .noneMatch(value::contains);
                }
            }
        });
        assertThat(dev.all(Secret.class)).extracting(s -> s.getMetadata().getName())
                .containsExactlyInAnyOrder("ingest-hook", "tapedeck-transcoder", "storage", "minio", "catalog-app", "vod-api", "vod-api-keys");
        assertThat(prod.all(Secret.class)).as("prod expects the Secrets from the operator").isEmpty();
    }

    @Test
    void everyReferenceToAConfigMapOrSecretIsSatisfied() {
        both().forEach(r -> r.podTemplates().forEach((workload, template) -> {
            for (Container c : template.getSpec().getContainers()) {
                for (EnvFromSource from : c.getEnvFrom() == null ? List.<EnvFromSource>of() : c.getEnvFrom()) {
                    if (from.getConfigMapRef() != null) {
                        assertThat(r.named(ConfigMap.class, from.getConfigMapRef().getName())).as("%s/%s ConfigMap %s", r.overlay,
                                workload, from.getConfigMapRef().getName()).isPresent();
                    }
                    if (from.getSecretRef() != null && r == dev) {
                        assertThat(r.named(Secret.class, from.getSecretRef().getName())).as("%s Secret %s", workload,
                                from.getSecretRef().getName()).isPresent();
                    }
                }
            }
        }));
        // Every single value taken from a Secret is there in dev, under its key.
        dev.podTemplates().forEach((workload, template) -> {
            for (Container c : template.getSpec().getContainers()) {
                for (EnvVar env : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
                    if (env.getValueFrom() != null && env.getValueFrom().getSecretKeyRef() != null) {
                        var ref = env.getValueFrom().getSecretKeyRef();
                        Secret secret = dev.named(Secret.class, ref.getName()).orElseThrow(
                                () -> new AssertionError(workload + " reads the missing Secret " + ref.getName()));
                        Map<String, String> keys = new java.util.HashMap<>();
                        if (secret.getData() != null) {
                            keys.putAll(secret.getData());
                        }
                        if (secret.getStringData() != null) {
                            keys.putAll(secret.getStringData());
                        }
                        assertThat(keys).as("%s reads %s from the Secret %s", workload, ref.getKey(), ref.getName())
                                .containsKey(ref.getKey());
                    }
                }
            }
        });
        // The transcoder's Jobs read the credential from the Secret its ConfigMap names.
        String tokenSecret = dev.named(ConfigMap.class, "transcoder").orElseThrow().getData().get("TAPEDECK_TRANSCODER_KUBERNETES_TOKEN_SECRET");
        assertThat(dev.named(Secret.class, tokenSecret).orElseThrow().getStringData() == null
                ? dev.named(Secret.class, tokenSecret).orElseThrow().getData() : Map.of("token", "")).containsKey("token");
    }

    @Test
    void everyTopicOfTheContractIsAKafkaTopicWithItsCleanupPolicy() {
        both().forEach(r -> {
            List<GenericKubernetesResource> topics = r.custom("KafkaTopic");
            assertThat(topics).extracting(t -> t.getMetadata().getName()).as(r.overlay)
                    .containsExactlyInAnyOrderElementsOf(Topics.ALL.stream().map(Topics.Spec::name).toList());
            for (Topics.Spec spec : Topics.ALL) {
                GenericKubernetesResource topic = topics.stream().filter(t -> t.getMetadata().getName().equals(spec.name())).findFirst()
                        .orElseThrow();
                assertThat(topic.getMetadata().getLabels()).containsEntry("strimzi.io/cluster", "tapedeck");
                Map<String, Object> topicSpec = spec(topic);
                @SuppressWarnings("unchecked")
                Map<String, Object> config = (Map<String, Object>) topicSpec.get("config");
                assertThat(config).as("%s %s", r.overlay, spec.name()).containsEntry("cleanup.policy", spec.cleanupPolicy());
                assertThat(((Number) topicSpec.get("replicas")).intValue()).as("%s %s replicas", r.overlay, spec.name())
                        .isEqualTo(r == prod ? 3 : 1);
            }
        });
        assertThat(((Number) spec(prod.custom("KafkaNodePool").get(0)).get("replicas")).intValue()).isEqualTo(3);
    }

    @Test
    void srsCallsTheIngestHookServiceAndKeepsTheSourcesTimestamps() {
        both().forEach(r -> {
            String conf = r.named(ConfigMap.class, "srs").orElseThrow().getData().get("srs.conf");
            Service hook = r.named(Service.class, "ingest-hook").orElseThrow();
            int port = hook.getSpec().getPorts().get(0).getPort();
            Matcher m = Pattern.compile("(on_\\w+)\\s+(http://\\S+);").matcher(conf);
            List<String> hooks = new java.util.ArrayList<>();
            while (m.find()) {
                hooks.add(m.group(1));
                assertThat(m.group(2)).as("%s %s", r.overlay, m.group(1))
                        .isEqualTo("http://" + hook.getMetadata().getName() + ":" + port + "/hooks/srs");
            }
            assertThat(hooks).containsExactlyInAnyOrder("on_publish", "on_unpublish", "on_play", "on_stop");
            assertThat(conf).containsPattern("play\\s*\\{[^}]*atc\\s+on;");
            // The Service forwards to the port the hook's container listens on.
            Deployment d = r.named(Deployment.class, "ingest-hook").orElseThrow();
            assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts())
                    .anyMatch(p -> p.getName().equals(hook.getSpec().getPorts().get(0).getTargetPort().getStrVal())
                            || p.getContainerPort().equals(hook.getSpec().getPorts().get(0).getTargetPort().getIntVal()));
        });
    }

    @Test
    void everyScalerTargetsAnExistingDeploymentAndTheIdleOnesScaleToZero() {
        both().forEach(r -> {
            List<GenericKubernetesResource> scaled = r.custom("ScaledObject");
            assertThat(scaled).extracting(s -> s.getMetadata().getName()).containsExactlyInAnyOrder("packager", "recorder", "transcoder");
            for (GenericKubernetesResource s : scaled) {
                @SuppressWarnings("unchecked")
                String target = (String) ((Map<String, Object>) spec(s).get("scaleTargetRef")).get("name");
                assertThat(r.named(Deployment.class, target)).as("%s ScaledObject %s", r.overlay, s.getMetadata().getName()).isPresent();
            }
            assertThat(scaled).filteredOn(s -> ((Number) spec(s).get("minReplicaCount")).intValue() == 0)
                    .extracting(s -> s.getMetadata().getName()).containsExactlyInAnyOrder("packager", "transcoder");
            // The recorder scales out by the live topic's partitions, the packager by the slices topic's: never beyond.
            Map<String, String> partitionsOf = Map.of("recorder", "tapedeck.live", "packager", "tapedeck.slices");
            partitionsOf.forEach((deployment, topic) -> {
                GenericKubernetesResource so = scaled.stream().filter(s -> s.getMetadata().getName().equals(deployment)).findFirst()
                        .orElseThrow();
                GenericKubernetesResource t = r.custom("KafkaTopic").stream().filter(k -> k.getMetadata().getName().equals(topic))
                        .findFirst().orElseThrow();
                assertThat(((Number) spec(so).get("maxReplicaCount")).intValue()).as("%s %s", r.overlay, deployment)
                        .isEqualTo(((Number) spec(t).get("partitions")).intValue());
            });
            for (HorizontalPodAutoscaler hpa : r.all(HorizontalPodAutoscaler.class)) {
                assertThat(r.named(Deployment.class, hpa.getSpec().getScaleTargetRef().getName())).as(hpa.getMetadata().getName()).isPresent();
            }
            assertThat(r.all(HorizontalPodAutoscaler.class)).extracting(h -> h.getMetadata().getName())
                    .containsExactlyInAnyOrder("ingest-hook", "vod-api");
        });
    }

    @Test
    void everyNetworkPolicyAndDisruptionBudgetSelectsPodsThatExist() {
        both().forEach(r -> {
            assertThat(r.all(NetworkPolicy.class)).isNotEmpty();
            for (NetworkPolicy np : r.all(NetworkPolicy.class)) {
                assertThat(r.selectsPods(np.getSpec().getPodSelector().getMatchLabels())).as("%s %s", r.overlay, np.getMetadata().getName())
                        .isTrue();
                np.getSpec().getIngress().forEach(rule -> {
                    for (NetworkPolicyPeer peer : rule.getFrom()) {
                        if (peer.getPodSelector() != null) {
                            assertThat(r.selectsPods(peer.getPodSelector().getMatchLabels())).as("%s peer %s", np.getMetadata().getName(),
                                    peer.getPodSelector().getMatchLabels()).isTrue();
                        }
                    }
                });
            }
            for (PodDisruptionBudget pdb : r.all(PodDisruptionBudget.class)) {
                assertThat(r.selectsPods(pdb.getSpec().getSelector().getMatchLabels())).as(pdb.getMetadata().getName()).isTrue();
            }
            // The hooks answer SRS: the policy on ingest-hook admits SRS's pods.
            NetworkPolicy hooks = r.named(NetworkPolicy.class, "ingest-hook").orElseThrow();
            assertThat(hooks.getSpec().getIngress()).flatExtracting(i -> i.getFrom()).anyMatch(p -> p.getPodSelector() != null
                    && Map.of("app.kubernetes.io/name", "srs").equals(p.getPodSelector().getMatchLabels()));
        });
    }

    @Test
    void theControllersRoleIsBoundToItsServiceAccountAndTheRecorderDrainsWithItsSpoolOnAVolume() {
        both().forEach(r -> {
            Deployment transcoder = r.named(Deployment.class, "transcoder").orElseThrow();
            String account = transcoder.getSpec().getTemplate().getSpec().getServiceAccountName();
            assertThat(r.named(ServiceAccount.class, account)).isPresent();
            RoleBinding binding = r.all(RoleBinding.class).stream().filter(b -> b.getSubjects().stream()
                    .anyMatch(s -> s.getName().equals(account))).findFirst().orElseThrow();
            Role role = r.named(Role.class, binding.getRoleRef().getName()).orElseThrow();
            assertThat(role.getRules()).as("only Jobs").allSatisfy(rule -> assertThat(rule.getResources()).isSubsetOf("jobs", "pods"));

            PodTemplateSpec recorder = r.named(Deployment.class, "recorder").orElseThrow().getSpec().getTemplate();
            // handover-timeout 20 s + shutdown-timeout 30 s + a slice's upload
            assertThat(recorder.getSpec().getTerminationGracePeriodSeconds()).isGreaterThanOrEqualTo(80L);
            String spool = r.named(ConfigMap.class, "recorder").orElseThrow().getData().get("TAPEDECK_RECORDER_SPOOL_DIR");
            assertThat(recorder.getSpec().getContainers().get(0).getVolumeMounts()).anyMatch(v -> v.getMountPath().equals(spool));
            // Each replica tells the pool its node, so that a stream's standby runs on another node than its owner.
            assertThat(recorder.getSpec().getContainers().get(0).getEnv()).as("the recorder knows its node")
                    .anyMatch(e -> e.getName().equals("TAPEDECK_RECORDER_NODE") && e.getValueFrom() != null
                            && e.getValueFrom().getFieldRef() != null && e.getValueFrom().getFieldRef().getFieldPath().equals("spec.nodeName"));
            assertThat(recorder.getSpec().getContainers().get(0).getEnv()).as("the generated env is kept")
                    .anyMatch(e -> e.getName().equals("KUBERNETES_NAMESPACE"));
        });
    }

    @Test
    void theCatalogIsAPostgresClusterThatOnlyVodApiReachesWithItsOwnersCredentials() {
        both().forEach(r -> {
            GenericKubernetesResource cluster = r.custom("Cluster").stream().filter(c -> c.getMetadata().getName().equals("catalog"))
                    .findFirst().orElseThrow();
            assertThat(cluster.getApiVersion()).isEqualTo("postgresql.cnpg.io/v1");
            assertThat(((Number) spec(cluster).get("instances")).intValue()).as(r.overlay).isEqualTo(r == prod ? 3 : 1);
            @SuppressWarnings("unchecked")
            Map<String, Object> initdb = (Map<String, Object>) ((Map<String, Object>) spec(cluster).get("bootstrap")).get("initdb");
            @SuppressWarnings("unchecked")
            String secret = (String) ((Map<String, Object>) initdb.get("secret")).get("name");

            // vod-api connects to the cluster's read-write Service, to the database the cluster made, as its owner.
            String url = r.named(ConfigMap.class, "vod-api").orElseThrow().getData().get("QUARKUS_DATASOURCE_JDBC_URL");
            assertThat(url).isEqualTo("jdbc:postgresql://catalog-rw:5432/" + initdb.get("database"));
            Container api = r.named(Deployment.class, "vod-api").orElseThrow().getSpec().getTemplate().getSpec().getContainers().get(0);
            for (String key : List.of("QUARKUS_DATASOURCE_USERNAME", "QUARKUS_DATASOURCE_PASSWORD")) {
                EnvVar env = api.getEnv().stream().filter(e -> e.getName().equals(key)).findFirst().orElseThrow();
                assertThat(env.getValueFrom().getSecretKeyRef().getName()).as("%s %s", r.overlay, key).isEqualTo(secret);
            }
            if (r == dev) {
                Secret owner = dev.named(Secret.class, secret).orElseThrow();
                assertThat(owner.getType()).isEqualTo("kubernetes.io/basic-auth");
                String user = new String(Base64.getMimeDecoder().decode(owner.getData().get("username")), java.nio.charset.StandardCharsets.UTF_8);
                assertThat(user).isEqualTo(initdb.get("owner"));
            }

            // Of the services, only vod-api reaches the database's port.
            NetworkPolicy policy = r.all(NetworkPolicy.class).stream()
                    .filter(np -> Map.of("cnpg.io/cluster", "catalog").equals(np.getSpec().getPodSelector().getMatchLabels()))
                    .findFirst().orElseThrow();
            List<String> services = policy.getSpec().getIngress().stream().flatMap(i -> i.getFrom().stream())
                    .filter(p -> p.getPodSelector() != null && p.getPodSelector().getMatchLabels().containsKey("app.kubernetes.io/name"))
                    .map(p -> p.getPodSelector().getMatchLabels().get("app.kubernetes.io/name")).toList();
            assertThat(services).as(r.overlay).containsExactly("vod-api");
        });
    }

    @Test
    void everyApiCallNeedsAKeyFromTheMountedSecret() {
        both().forEach(r -> {
            Map<String, String> config = r.named(ConfigMap.class, "vod-api").orElseThrow().getData();
            assertThat(config).as(r.overlay).containsEntry("TAPEDECK_VOD_API_AUTH", "keys");
            java.nio.file.Path file = java.nio.file.Path.of(config.get("TAPEDECK_VOD_API_KEYS_FILE"));
            var pod = r.named(Deployment.class, "vod-api").orElseThrow().getSpec().getTemplate().getSpec();
            var mount = pod.getContainers().get(0).getVolumeMounts().stream()
                    .filter(m -> m.getMountPath().equals(file.getParent().toString())).findFirst().orElseThrow();
            var volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
            assertThat(volume.getSecret().getSecretName()).isEqualTo("vod-api-keys");
            if (r == dev) {
                Secret keys = dev.named(Secret.class, "vod-api-keys").orElseThrow();
                String text = new String(Base64.getMimeDecoder().decode(keys.getData().get(file.getFileName().toString())),
                        java.nio.charset.StandardCharsets.UTF_8);
                assertThat(text.lines().filter(l -> !l.isBlank() && !l.startsWith("#")))
                        .allMatch(l -> l.matches("\\S{16,} (read|admin)")).anyMatch(l -> l.endsWith(" admin"));
            }
        });
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> spec(GenericKubernetesResource r) {
        return (Map<String, Object>) r.getAdditionalProperties().get("spec");
    }
}
