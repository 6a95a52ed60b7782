package dev.tapedeck.transcoder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.JobStatusChanged;
import dev.tapedeck.contract.event.JobStatusChanged.Status;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import dev.tapedeck.transcoder.launcher.LocalWorkerLauncher;
import dev.tapedeck.transcoder.launcher.WorkerLauncher;
import dev.tapedeck.transcoder.worker.WorkRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local launcher: a real child JVM running WorkerMain, its exit code reported as the final state. */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
class LocalLauncherIT {

    @Inject
    WorkerLauncher launcher;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    static WorkRequest request(String source, Path out) {
        String id = Ids.uuid7();
        return new WorkRequest(id, id, "__defaultVhost__/live/cam", source, out.toString(), "cam", "360p:800k");
    }

    List<JobStatusChanged> states(TopicReader jobs, String sessionId, Duration wait) {
        jobs.await(r -> r.value().data() instanceof JobStatusChanged j && j.sessionId().equals(sessionId)
                && j.status() != Status.STARTING && j.status() != Status.ACTIVE, wait);
        return jobs.readToEnd().stream().map(r -> r.value().data()).filter(JobStatusChanged.class::isInstance)
                .map(JobStatusChanged.class::cast).filter(j -> j.sessionId().equals(sessionId)).toList();
    }

    @Test
    void aWorkerThatFinishesItsSourceIsComplete(@TempDir Path dir) throws IOException {
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 640, 480, 30, 3);
        WorkRequest req = request(source.toString(), dir);
        try (TopicReader jobs = new TopicReader(kafka, Topics.JOBS)) {
            assertThat(launcher.launch(req)).isEqualTo(WorkerLauncher.Launch.STARTED);
            assertThat(launcher.launch(req)).as("one worker per session").isEqualTo(WorkerLauncher.Launch.ALREADY_RUNNING);
            List<JobStatusChanged> states = states(jobs, req.sessionId(), Duration.ofSeconds(60));
            assertThat(states).extracting(JobStatusChanged::status).containsExactly(Status.COMPLETE);
            assertThat(states.get(0).worker()).isEqualTo("tapedeck-worker-" + req.sessionId());
        }
        try (Stream<Path> files = Files.list(dir)) {
            Path rung = files.filter(f -> f.getFileName().toString().startsWith("cam_360p")).findFirst().orElseThrow();
            assertThat(MediaTools.decodeErrors(rung.toString())).isEmpty();
            assertThat(MediaTools.probe(rung.toString(), "-select_streams", "v", "-show_entries", "stream=height"))
                    .containsExactly("360");
        }
        assertThat(launcher.running()).isZero();
    }

    @Test
    void aWorkerThatCannotReadItsSourceFails(@TempDir Path dir) {
        WorkRequest req = request(dir.resolve("missing.flv").toString(), dir);
        try (TopicReader jobs = new TopicReader(kafka, Topics.JOBS)) {
            launcher.launch(req);
            List<JobStatusChanged> states = states(jobs, req.sessionId(), Duration.ofSeconds(60));
            assertThat(states).hasSize(1);
            JobStatusChanged failed = states.get(0);
            assertThat(failed.status()).isEqualTo(Status.FAILED);
            assertThat(failed.retryable()).as("an unreachable source may come back").isTrue();
            assertThat(failed.message()).contains("exited with 2").contains(".log");
        }
    }

    @Test
    void aKilledWorkerIsAborted(@TempDir Path dir) throws IOException {
        // A source that accepts the connection and never says anything keeps the worker waiting.
        try (ServerSocket silent = new ServerSocket(0); TopicReader jobs = new TopicReader(kafka, Topics.JOBS)) {
            WorkRequest req = request("tcp://127.0.0.1:" + silent.getLocalPort() + "?listen=0", dir);
            launcher.launch(req);
            try (Socket accepted = silent.accept()) {
                ProcessHandle worker = ((LocalWorkerLauncher) launcher).worker(req.sessionId()).orElseThrow();
                assertThat(worker.isAlive()).as("the worker waits for its source").isTrue();
                worker.destroyForcibly();
                List<JobStatusChanged> states = states(jobs, req.sessionId(), Duration.ofSeconds(30));
                assertThat(states).extracting(JobStatusChanged::status).containsExactly(Status.ABORTED);
            }
        }
    }
}
