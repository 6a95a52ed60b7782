import dev.tapedeck.testkit.EmbeddedKafka;
import dev.tapedeck.testkit.TapedeckTopics;
import java.nio.file.Path;

/**
 * The hook benchmark's broker: a real single-node Kafka (KRaft) with Tapedeck's topics, the one the local stack
 * and the tests use. Prints its bootstrap address, then runs until its standard input closes.
 */
public class HookBenchBroker {
    public static void main(String[] args) throws Exception {
        EmbeddedKafka kafka = EmbeddedKafka.start(Path.of(args[0]), 0);
        TapedeckTopics.create(kafka.bootstrapServers(), 3);
        System.out.println(kafka.bootstrapServers());
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait for the script to let go
        }
        kafka.close();
    }
}
