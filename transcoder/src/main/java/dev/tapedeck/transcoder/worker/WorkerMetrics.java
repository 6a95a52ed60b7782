package dev.tapedeck.transcoder.worker;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A worker's progress in Prometheus' text format on {@code :{port}/metrics} while it runs: frames done,
 * media seconds done, frames per second and speed (media seconds per wall second, 1.0 = real time).
 * A worker in a pod is scraped through the pod's annotations; a local worker only logs.
 */
public final class WorkerMetrics implements AutoCloseable {
    /** Environment variable naming the port; unset means no endpoint. */
    public static final String PORT_ENV = "TAPEDECK_WORKER_METRICS_PORT";
    /** The port worker pods expose. */
    public static final int DEFAULT_PORT = 9400;

    private final String stream;
    private volatile long frames;
    private volatile double mediaSeconds;
    private volatile double wallSeconds;
    private HttpServer server;

    public WorkerMetrics(String streamKey) {
        this.stream = streamKey.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** Records progress. */
    public void update(long frames, double mediaSeconds, double wallSeconds) {
        this.frames = frames;
        this.mediaSeconds = mediaSeconds;
        this.wallSeconds = wallSeconds;
    }

    /** The current figures in Prometheus' text format. */
    public String render() {
        double fps = wallSeconds > 0 ? frames / wallSeconds : 0;
        double speed = wallSeconds > 0 ? mediaSeconds / wallSeconds : 0;
        String l = "{stream=\"" + stream + "\"}";
        return String.format(Locale.ROOT, """
                # HELP tapedeck_worker_frames_total Source frames decoded and encoded into every rung.
                # TYPE tapedeck_worker_frames_total counter
                tapedeck_worker_frames_total%1$s %2$d
                # HELP tapedeck_worker_media_seconds Media time transcoded so far.
                # TYPE tapedeck_worker_media_seconds gauge
                tapedeck_worker_media_seconds%1$s %3$.3f
                # HELP tapedeck_worker_fps Frames per wall-clock second since the worker started.
                # TYPE tapedeck_worker_fps gauge
                tapedeck_worker_fps%1$s %4$.3f
                # HELP tapedeck_worker_speed Media seconds per wall-clock second (1.0 keeps up with a live source).
                # TYPE tapedeck_worker_speed gauge
                tapedeck_worker_speed%1$s %5$.3f
                """, l, frames, mediaSeconds, fps, speed);
    }

    /** Where a launcher reaches a worker that runs in a pod: {@code POST /finish} with this key as a bearer token. */
    public static final String FINISH_KEY_ENV = "TAPEDECK_WORKER_FINISH_KEY";

    private volatile Runnable onFinish;
    private volatile String finishKey;

    /**
     * Also serves {@code POST /finish}: a request that carries {@code key} as its bearer token runs {@code finish} (the
     * source was unpublished: the worker ends its rungs as at the source's end). Without a key nothing is served there.
     */
    public void onFinish(String key, Runnable finish) {
        this.finishKey = key;
        this.onFinish = finish;
    }

    /** Serves {@code /metrics} (and {@code /finish}, see {@link #onFinish}) on {@code port} (0 picks a free one); returns the port. */
    public int serve(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/finish", exchange -> {
            String key = finishKey;
            Runnable finish = onFinish;
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            int status;
            if (!"POST".equals(exchange.getRequestMethod())) {
                status = 405;
            } else if (key == null || key.isEmpty() || finish == null) {
                status = 404;
            } else if (auth == null || !java.security.MessageDigest.isEqual(("Bearer " + key).getBytes(StandardCharsets.UTF_8),
                    auth.getBytes(StandardCharsets.UTF_8))) {
                status = 403;
            } else {
                finish.run();
                status = 202;
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.createContext("/metrics", exchange -> {
            byte[] body = render().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            server.stop(0);
        }
    }
}
