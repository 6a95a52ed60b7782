package dev.tapedeck.recorder.service;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.recorder.config.RecorderConfig;
import dev.tapedeck.recorder.media.FlvSlicer;
import dev.tapedeck.recorder.media.SliceFile;
import dev.tapedeck.recorder.media.StreamEnd;
import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.storage.Retry;
import dev.tapedeck.storage.StoredObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Records one rendition of one session: pulls it, slices it, uploads each slice in order on its own
 * thread (so a slow store never stalls the pull), and emits SliceStored per slice and RecordingClosed at the end.
 */
public final class RecordingSession implements Runnable {
    private static final Logger LOG = Logger.getLogger(RecordingSession.class);

    private final StreamPublished published;
    private final StreamKey source;
    private final RecorderConfig config;
    private final ObjectStore store;
    private final SliceEvents events;
    private final Clock clock;
    private final ExecutorService uploader;
    private volatile long stopAtNanos = Long.MAX_VALUE;
    private volatile boolean shutdown;
    private volatile boolean uploadFailed;
    private long slices;
    private long lastSeq = -1;
    private long durationMillis;
    private String failure;

    private final RecorderMetrics metrics;

    RecordingSession(StreamPublished published, RecorderConfig config, ObjectStore store, SliceEvents events, Clock clock,
            RecorderMetrics metrics) {
        this.metrics = metrics;
        this.published = published;
        this.source = StreamKey.parse(published.sourceStreamKey());
        this.config = config;
        this.store = store;
        this.events = events;
        this.clock = clock;
        this.uploader = Executors.newSingleThreadExecutor(r -> new Thread(r, "upload-" + published.stream()));
    }

    public StreamPublished published() {
        return published;
    }

    /** The media server said the publish ended: let in-flight media drain, then stop. */
    public void unpublished() {
        stopAtNanos = Math.min(stopAtNanos, System.nanoTime() + config.stopGrace().toNanos());
    }

    /** The recorder is shutting down: finish the current slice now. */
    public void shutdown() {
        shutdown = true;
        stopAtNanos = System.nanoTime();
    }

    @Override
    public void run() {
        mdc();
        String url = config.mediaServerUrl() + "/" + published.app() + "/" + published.stream() + "?tapedeck-role=recorder";
        Path spool = config.spoolDir().resolve(published.recordingId()).resolve(published.rendition());
        LOG.infof("recording %s from %s", published.streamKey(), url);
        RecordingClosed.Reason reason;
        try {
            FlvSlicer slicer = new FlvSlicer(url, Map.of(
                    // Network reads give up after this long without data (µs).
                    "rw_timeout", String.valueOf(config.readTimeout().toNanos() / 1000),
                    // Live input: stream parameters come with the first packets.
                    "analyzeduration", "3000000"),
                    spool, config.sliceLength().toMillis(), 0);
            StreamEnd end = slicer.run(this::enqueue, () -> System.nanoTime() >= stopAtNanos);
            reason = shutdown ? RecordingClosed.Reason.SHUTDOWN
                    : end == StreamEnd.END_OF_INPUT && stopAtNanos == Long.MAX_VALUE ? RecordingClosed.Reason.END_OF_INPUT
                    : RecordingClosed.Reason.UNPUBLISHED;
        } catch (IOException | RuntimeException e) {
            LOG.errorf("recording %s failed: %s", published.streamKey(), e.getMessage());
            failure = "pull of " + url + " failed: " + e.getMessage();
            reason = RecordingClosed.Reason.FAILED;
        }
        RecordingClosed.Reason finalReason = reason;
        uploader.submit(() -> close(finalReason));
        uploader.shutdown();
        try {
            uploader.awaitTermination(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        MDC.clear();
    }

    private void enqueue(SliceFile slice) {
        uploader.submit(() -> upload(slice));
    }

    private void upload(SliceFile slice) {
        mdc();
        String key = StorageKeys.slice(source, published.recordingId(), published.rendition(), slice.seq());
        try {
            String sha = sha256(slice.file());
            StoredObject stored = Retry.DEFAULT.run("upload of " + key, () -> store.putFile(key, slice.file(), "video/x-flv"));
            events.stored(new SliceStored(published.recordingId(), published.sessionId(), source.toString(), published.rendition(),
                    slice.seq(), key, slice.firstDtsMillis(), slice.lastDtsMillis(), slice.durationMillis(), stored.size(), sha,
                    slice.keyframes(), false, clock.instant()));
            Files.deleteIfExists(slice.file());
            slices++;
            lastSeq = slice.seq();
            durationMillis += slice.durationMillis();
            metrics.sliceStored(stored.size(), slice.durationMillis());
            LOG.infof("slice %d stored: %s (%d bytes, %d ms)", slice.seq(), key, stored.size(), slice.durationMillis());
        } catch (IOException | RuntimeException e) {
            uploadFailed = true;
            metrics.uploadFailed();
            failure = "slice " + slice.seq() + " could not be stored and stays at " + slice.file() + ": " + e.getMessage();
            LOG.error(failure);
        }
    }

    private void close(RecordingClosed.Reason reason) {
        mdc();
        RecordingClosed.Reason r = uploadFailed ? RecordingClosed.Reason.FAILED : reason;
        try {
            metrics.closed(r);
            events.closed(new RecordingClosed(published.recordingId(), source.toString(), published.rendition(), lastSeq, slices,
                    durationMillis, r, failure, clock.instant()));
            LOG.infof("recording closed (%s): %d slices, %d ms", r, slices, durationMillis);
        } catch (RuntimeException e) {
            LOG.errorf("could not emit RecordingClosed: %s", e.getMessage());
        }
    }

    private void mdc() {
        MDC.put("streamKey", published.streamKey());
        MDC.put("sessionId", published.sessionId());
        MDC.put("recordingId", published.recordingId());
        MDC.put("rendition", published.rendition());
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
