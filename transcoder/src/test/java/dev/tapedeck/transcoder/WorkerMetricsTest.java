package dev.tapedeck.transcoder;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.transcoder.worker.WorkerMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class WorkerMetricsTest {

    @Test
    void progressIsServedAsPrometheusText() throws Exception {
        try (WorkerMetrics metrics = new WorkerMetrics("__defaultVhost__/live/cam")) {
            metrics.update(300, 10.0, 4.0);
            int port = metrics.serve(0);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body())
                    .contains("tapedeck_worker_frames_total{stream=\"__defaultVhost__/live/cam\"} 300")
                    .contains("tapedeck_worker_fps{stream=\"__defaultVhost__/live/cam\"} 75.000")
                    .contains("tapedeck_worker_speed{stream=\"__defaultVhost__/live/cam\"} 2.500")
                    .contains("# TYPE tapedeck_worker_speed gauge");
        }
    }

    @Test
    void finishIsTakenOnlyWithTheWorkersKey() throws Exception {
        java.util.concurrent.atomic.AtomicInteger finished = new java.util.concurrent.atomic.AtomicInteger();
        try (WorkerMetrics metrics = new WorkerMetrics("__defaultVhost__/live/cam")) {
            metrics.onFinish("k-123", finished::incrementAndGet);
            int port = metrics.serve(0);
            HttpClient http = HttpClient.newHttpClient();
            URI finish = URI.create("http://127.0.0.1:" + port + "/finish");
            assertThat(http.send(HttpRequest.newBuilder(finish).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).as("no key").isEqualTo(403);
            assertThat(http.send(HttpRequest.newBuilder(finish).header("Authorization", "Bearer k-12").POST(HttpRequest.BodyPublishers.noBody())
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode()).as("another key").isEqualTo(403);
            assertThat(http.send(HttpRequest.newBuilder(finish).header("Authorization", "Bearer k-123").build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).as("a GET").isEqualTo(405);
            assertThat(finished).hasValue(0);
            assertThat(http.send(HttpRequest.newBuilder(finish).header("Authorization", "Bearer k-123").POST(HttpRequest.BodyPublishers.noBody())
                    .build(), HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(202);
            assertThat(finished).hasValue(1);
        }
    }

    @Test
    void withoutAKeyNothingFinishesAWorker() throws Exception {
        try (WorkerMetrics metrics = new WorkerMetrics("__defaultVhost__/live/cam")) {
            metrics.onFinish(null, () -> {
                throw new AssertionError("finished without a key");
            });
            int port = metrics.serve(0);
            assertThat(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/finish"))
                    .header("Authorization", "Bearer ").POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode()).isEqualTo(404);
        }
    }
}
