package dev.tapedeck.transcoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.JobStatusChanged;
import dev.tapedeck.contract.event.JobStatusChanged.Status;
import dev.tapedeck.testkit.FlvTags;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import dev.tapedeck.transcoder.config.TranscoderConfig;
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
import java.util.ArrayList;
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

    @Inject
    TranscoderConfig config;

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
    void aSourceThatChangesSizeTwiceKeepsEveryRungAtItsOwnSizeWithTheSourcesKeyframes(@TempDir Path dir) throws IOException {
        // 720p, then 480p, then 1080p, 20 s each, one stream: each part brings its own sequence headers.
        List<FlvTags.Tag> tags = new ArrayList<>();
        long shift = 0;
        for (int[] size : new int[][] {{1280, 720}, {854, 480}, {1920, 1080}}) {
            Path part = dir.resolve("part" + size[1] + ".flv");
            MediaTools.makeFlv(part, size[0], size[1], 30, 20);
            long offset = shift;
            List<FlvTags.Tag> media = FlvTags.media(FlvTags.read(part), t -> t + offset);
            tags.addAll(media);
            shift = media.stream().mapToLong(FlvTags.Tag::timestamp).max().orElseThrow() + 33;
        }
        Path source = dir.resolve("source.flv");
        FlvTags.write(source, tags);
        WorkRequest req = new WorkRequest(Ids.uuid7(), null, "__defaultVhost__/live/cam", source.toString(), dir.toString(), "cam",
                "480p:1400k,360p:800k");
        try (TopicReader jobs = new TopicReader(kafka, Topics.JOBS)) {
            launcher.launch(req); // a child JVM with the worker's own options
            assertThat(states(jobs, req.sessionId(), Duration.ofSeconds(300))).extracting(JobStatusChanged::status)
                    .containsExactly(Status.COMPLETE);
        }
        assertThat(Files.readString(config.localLogDir().resolve(launcher.workerName(req.sessionId()) + ".log")))
                .contains("size changes 2");
        List<Double> sourceKeys = LadderPipelineIT.keyframeTimes(source).stream().map(Double::parseDouble).toList();
        for (String rung : List.of("480p", "360p")) {
            Path file = dir.resolve("cam_" + rung);
            assertThat(MediaTools.decodeErrors(file.toString())).as(rung).isEmpty();
            assertThat(MediaTools.probe(file.toString(), "-select_streams", "v", "-show_entries", "frame=width,height").stream()
                    .map(l -> l.replaceAll(",+$", "")).distinct().toList()).as("every frame of %s at its own size", rung)
                    .containsExactly(rung.equals("480p") ? "854,480" : "640,360");
            List<Double> keys = LadderPipelineIT.keyframeTimes(file).stream().map(Double::parseDouble).toList();
            assertThat(keys).hasSameSizeAs(sourceKeys);
            for (int i = 0; i < keys.size(); i++) {
                assertThat(keys.get(i)).as("%s keyframe %d", rung, i).isCloseTo(sourceKeys.get(i), within(1 / 30.0));
            }
            assertThat(MediaTools.duration(file.toString())).isCloseTo(MediaTools.duration(source.toString()), within(1.0));
        }
    }

    @Test
    void anAudioOnlySourceIsCompleteAtOnceWithNothingToDo(@TempDir Path dir) throws IOException {
        Path source = dir.resolve("radio.flv");
        MediaTools.makeFlv(source, 640, 360, 30, 3, false, true);
        WorkRequest req = request(source.toString(), dir);
        try (TopicReader jobs = new TopicReader(kafka, Topics.JOBS)) {
            launcher.launch(req);
            List<JobStatusChanged> states = states(jobs, req.sessionId(), Duration.ofSeconds(60));
            assertThat(states).singleElement().satisfies(s -> {
                assertThat(s.status()).isEqualTo(Status.COMPLETE);
                assertThat(s.code()).isEqualTo("AUDIO_ONLY");
                assertThat(s.message()).contains("no video");
            });
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("radio.flv");
        }
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
    void aKilledWorkerIsStartedAgainWhileItsSourceIsLiveAndAbortedOnceItEnded(@TempDir Path dir) throws Exception {
        // A source that accepts the connection and never says anything keeps the worker waiting.
        try (ServerSocket silent = new ServerSocket(0); TopicReader jobs = new TopicReader(kafka, Topics.JOBS)) {
            WorkRequest req = request("tcp://127.0.0.1:" + silent.getLocalPort() + "?listen=0", dir);
            launcher.launch(req);
            LocalWorkerLauncher local = (LocalWorkerLauncher) launcher;
            try (Socket first = silent.accept()) {
                ProcessHandle worker = local.worker(req.sessionId()).orElseThrow();
                assertThat(worker.isAlive()).as("the worker waits for its source").isTrue();
                worker.destroyForcibly();
                JobStatusChanged restarted = (JobStatusChanged) jobs.await(r -> r.value().data() instanceof JobStatusChanged j
                        && j.sessionId().equals(req.sessionId()), Duration.ofSeconds(30)).value().data();
                assertThat(restarted.status()).as("not final: the source is live").isEqualTo(Status.STARTING);
                assertThat(restarted.code()).isEqualTo("WORKER_RESTARTED");
                try (Socket second = silent.accept()) {
                    ProcessHandle again = local.worker(req.sessionId()).orElseThrow();
                    assertThat(again.pid()).isNotEqualTo(worker.pid());
                    // The source's session ends; a worker that dies now is not started again.
                    launcher.sessionEnded(req.sessionId());
                    again.destroyForcibly();
                    List<JobStatusChanged> states = states(jobs, req.sessionId(), Duration.ofSeconds(30));
                    assertThat(states).extracting(JobStatusChanged::status).containsExactly(Status.STARTING, Status.ABORTED);
                }
            }
        }
    }

    /** No stream can crash-loop the launcher: a worker that dies every time it starts is given up with the reason. */
    @Test
    void aWorkerThatDiesEveryTimeItStartsIsAbortedAsCrashedAfterItsRestarts(@TempDir Path dir) throws Exception {
        try (ServerSocket silent = new ServerSocket(0); TopicReader jobs = new TopicReader(kafka, Topics.JOBS)) {
            // A restart that never comes fails the test here instead of hanging it.
            silent.setSoTimeout(60_000);
            WorkRequest req = request("tcp://127.0.0.1:" + silent.getLocalPort() + "?listen=0", dir);
            launcher.launch(req);
            LocalWorkerLauncher local = (LocalWorkerLauncher) launcher;
            List<Long> pids = new java.util.ArrayList<>();
            for (int life = 0; life <= config.localRestarts(); life++) {
                try (Socket connected = silent.accept()) {
                    ProcessHandle worker = local.worker(req.sessionId()).orElseThrow();
                    pids.add(worker.pid());
                    // As a worker that its input crashes: SIGKILL, while the source is still live.
                    worker.destroyForcibly();
                    worker.onExit().join();
                }
            }
            List<JobStatusChanged> states = states(jobs, req.sessionId(), Duration.ofSeconds(30));
            assertThat(pids).as("a new worker each time").doesNotHaveDuplicates().hasSize(config.localRestarts() + 1);
            assertThat(states).extracting(JobStatusChanged::status).as("started again %d times, then one final state",
                    config.localRestarts()).containsExactlyElementsOf(java.util.stream.Stream.concat(
                            java.util.Collections.nCopies(config.localRestarts(), Status.STARTING).stream(),
                            java.util.stream.Stream.of(Status.ABORTED)).toList());
            JobStatusChanged last = states.get(states.size() - 1);
            assertThat(last.code()).isEqualTo("WORKER_CRASHED");
            assertThat(last.message()).contains("died " + (config.localRestarts() + 1) + " times").contains("not started again");
            assertThat(last.retryable()).as("its input may be what kills it").isFalse();
            assertThat(local.worker(req.sessionId())).as("no worker left for the stream").isEmpty();
        }
    }
}
