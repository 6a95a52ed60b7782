package dev.tapedeck.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The alert rules and the dashboard speak only of metrics the services register. */
class MonitoringTest {

    /** Every Java source of the services, as one text. */
    static String sources() throws IOException {
        StringBuilder all = new StringBuilder();
        for (String module : ManifestsTest.SERVICES) {
            try (Stream<Path> files = Files.walk(Rendered.K8S.getParent().resolve(module).resolve("src/main/java"))) {
                for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    all.append(Files.readString(f));
                }
            }
        }
        return all.toString();
    }

    @Test
    void everyMetricInTheRulesAndTheDashboardIsRegisteredByAService() throws Exception {
        String code = sources();
        Set<String> used = new TreeSet<>();
        for (String file : new String[] {"prometheus-rule.yaml", "tapedeck-dashboard.json"}) {
            Matcher m = Pattern.compile("tapedeck_[a-z_]+").matcher(Files.readString(Rendered.K8S.resolve("monitoring").resolve(file)));
            while (m.find()) {
                used.add(m.group());
            }
        }
        assertThat(used).hasSizeGreaterThan(10);
        for (String metric : used) {
            String base = metric.endsWith("_total") ? metric.substring(0, metric.length() - "_total".length()) : metric;
            // Micrometer names are dotted in the code; the worker writes its Prometheus text itself.
            boolean registered = code.contains("\"" + base.replace('_', '.') + "\"") || code.contains(metric + " ");
            assertThat(registered).as("%s is registered by a service", metric).isTrue();
        }
    }

    @Test
    void theMonitoringKustomizationRenders() throws Exception {
        Process p = new ProcessBuilder("kubectl", "kustomize", Rendered.K8S.resolve("monitoring").toString()).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(new String(p.getErrorStream().readAllBytes())).isZero();
        assertThat(out).contains("kind: PrometheusRule").contains("grafana_dashboard");
    }
}
