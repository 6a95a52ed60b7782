package dev.tapedeck.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The operations doc's settings table has every setting of every service's README, with its environment variable. */
class OperationsDocTest {

    @Test
    void everySettingOfEveryServiceIsInTheOneTable() throws Exception {
        String doc = Files.readString(Rendered.K8S.resolve("README.md"));
        Pattern row = Pattern.compile("(?m)^\\| (`(?:tapedeck|kafka|quarkus)\\.[^`]+`) \\| (`[A-Z_…]+[^`]*`) \\|");
        int checked = 0;
        for (String module : new String[] {"storage", "ingest-hook", "transcoder", "recorder", "packager", "vod-api"}) {
            Matcher m = row.matcher(Files.readString(Rendered.K8S.getParent().resolve(module).resolve("README.md")));
            while (m.find()) {
                if (m.group(1).equals("`tapedeck.storage.*`")) {
                    continue;
                }
                assertThat(doc).as("k8s/README.md lists %s's %s", module, m.group(1))
                        .contains("| " + module + " | " + m.group(1) + " | " + m.group(2) + " |");
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(60);
    }
}
