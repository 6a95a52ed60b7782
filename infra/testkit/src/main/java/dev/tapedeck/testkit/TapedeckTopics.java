package dev.tapedeck.testkit;

import dev.tapedeck.contract.Topics;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates Tapedeck's topics on a broker: the compacted ones compacted, the rest deleted by retention. */
public final class TapedeckTopics {
    private TapedeckTopics() {
    }

    public static void create(String bootstrapServers, int partitions) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        try (Admin admin = Admin.create(p)) {
            List<NewTopic> topics = Topics.ALL.stream().map(t -> new NewTopic(t.name(), partitions, (short) 1)
                    .configs(Map.of("cleanup.policy", t.cleanupPolicy()))).toList();
            for (NewTopic t : topics) {
                try {
                    admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
        }
    }
}
