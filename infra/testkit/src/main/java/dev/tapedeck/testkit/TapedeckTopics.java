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
            Map<String, String> compacted = Map.of("cleanup.policy", "compact");
            List<NewTopic> topics = List.of(
                    new NewTopic(Topics.STREAMS, partitions, (short) 1),
                    new NewTopic(Topics.LIVE, partitions, (short) 1).configs(compacted),
                    new NewTopic(Topics.JOBS, partitions, (short) 1),
                    new NewTopic(Topics.SLICES, partitions, (short) 1),
                    new NewTopic(Topics.VODS, partitions, (short) 1).configs(compacted));
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
