package dev.tapedeck.packager.service;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.packager.config.PackagerConfig;
import dev.tapedeck.packager.hls.Manifest;
import dev.tapedeck.packager.hls.PlaylistWriter;
import dev.tapedeck.packager.media.HlsSegmenter;
import dev.tapedeck.packager.media.Segment;
import dev.tapedeck.packager.media.SegmentedSlice;
import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.storage.Retry;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.stream.Stream;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Slice events in, HLS out: each stored slice becomes segments appended to its rendition's playlist
 * (EVENT while live); a closed recording gets VOD playlists, the master playlist and a READY catalog entry.
 */
@ApplicationScoped
public class PackagerService {
    private static final Logger LOG = Logger.getLogger(PackagerService.class);
    static final String PLAYLIST_TYPE = "application/vnd.apple.mpegurl";

    private final PackagerConfig config;
    private final ObjectStore store;
    private final ManifestStore manifests;
    private final CatalogEvents catalog;
    private final Clock clock;

    private final MeterRegistry metrics;
    private final Object[] locks = new Object[64];

    PackagerService(PackagerConfig config, ObjectStore store, ManifestStore manifests, CatalogEvents catalog, Clock clock,
            MeterRegistry metrics) {
        this.metrics = metrics;
        for (int i = 0; i < locks.length; i++) {
            locks[i] = new Object();
        }
        this.config = config;
        this.store = store;
        this.manifests = manifests;
        this.catalog = catalog;
        this.clock = clock;
    }

    /**
     * A stream was published. A source opens its recording's manifest; a rung (derived stream) is recorded
     * as an expected rendition, so the replay turns READY only once that rendition is closed too, even when
     * the source's recording closes first.
     */
    public void onPublished(StreamPublished p) {
        synchronized (lock(p.recordingId())) {
            mdc(p.recordingId(), p.rendition(), p.sourceStreamKey());
            try {
                Manifest m = manifests.load(p.recordingId()).orElse(null);
                boolean changed = false;
                if (m == null) {
                    m = newManifest(p.recordingId(), p.sourceStreamKey(), p.publishedAt());
                    changed = true;
                } else if (!p.derived() && (m.startedAt == null || p.publishedAt().isBefore(m.startedAt))) {
                    m.startedAt = p.publishedAt();
                    changed = true;
                }
                if (p.derived() && !m.renditions.containsKey(p.rendition())) {
                    m.renditions.put(p.rendition(), new Manifest.RenditionState());
                    LOG.infof("rendition %s expected", p.rendition());
                    changed = true;
                }
                if (changed) {
                    manifests.save(m);
                }
            } finally {
                MDC.clear();
            }
        }
    }

    public void onSlice(SliceStored slice) {
        synchronized (lock(slice.recordingId())) {
            packageSlice(slice);
        }
    }

    private void packageSlice(SliceStored slice) {
        mdc(slice.recordingId(), slice.rendition(), slice.streamKey());
        Manifest m = manifests.load(slice.recordingId()).orElseGet(() -> create(slice));
        Manifest.RenditionState r = m.renditions.computeIfAbsent(slice.rendition(), k -> new Manifest.RenditionState());
        if (r.slices.contains(slice.seq())) {
            LOG.debugf("slice %d already packaged", slice.seq());
            return;
        }
        if (r.closed && slice.seq() > r.closedLastSeq) {
            // The source was republished within the reconnect window: the recording goes on.
            LOG.infof("rendition %s reopened: slice %d follows its close at slice %d", slice.rendition(), slice.seq(), r.closedLastSeq);
            r.closed = false;
            m.endedAt = null;
        }
        boolean gap = r.pendingDiscontinuity || slice.discontinuity()
                || !r.slices.isEmpty() && slice.seq() != r.slices.get(r.slices.size() - 1) + 1;
        Path work = config.workDir().resolve(slice.recordingId() + "-" + slice.rendition() + "-" + slice.seq());
        try {
            Files.createDirectories(work);
            Path flv = work.resolve("slice.flv");
            Retry.DEFAULT.run("download " + slice.objectKey(), () -> {
                store.download(slice.objectKey(), flv);
                return null;
            });
            SegmentedSlice out = new HlsSegmenter(config.segmentDuration().toMillis())
                    .segment(flv, work.resolve("segments"), slice.firstDtsMillis() + slice.durationMillis());
            if (out.segments().isEmpty()) {
                throw new IOException("slice " + slice.objectKey() + " holds no audio or video packets");
            }
            long next = r.segments.isEmpty() ? 0 : r.segments.get(r.segments.size() - 1).index + 1;
            boolean first = true;
            for (Segment s : out.segments()) {
                long index = next++;
                String key = StorageKeys.segment(slice.recordingId(), slice.rendition(), index);
                Retry.DEFAULT.run("upload " + key, () -> store.putFile(key, s.file(), "video/mp2t"));
                Manifest.SegmentEntry e = new Manifest.SegmentEntry();
                e.index = index;
                e.slice = slice.seq();
                e.firstDtsMillis = s.firstDtsMillis();
                e.durationMillis = s.durationMillis();
                e.bytes = s.bytes();
                e.videoFrames = s.videoFrames();
                e.discontinuity = first && gap && !r.segments.isEmpty();
                first = false;
                r.segments.add(e);
            }
            r.width = out.info().width();
            r.height = out.info().height();
            r.codecs = out.info().codecs();
            r.slices.add(slice.seq());
            r.pendingDiscontinuity = false;
            publishPlaylists(m, slice.rendition());
            manifests.save(m);
            catalog.publish(entry(m, CatalogEntry.Status.LIVE, null));
            metrics.counter("tapedeck.packager.slices.packaged").increment();
            metrics.counter("tapedeck.packager.segments.written").increment(out.segments().size());
            LOG.infof("slice %d packaged into %d segments (%d ms)", slice.seq(), out.segments().size(), r.durationMillis());
        } catch (IOException | RuntimeException e) {
            // A slice that cannot be packaged is skipped; the next one starts after a discontinuity.
            r.problem = "slice " + slice.seq() + " (" + slice.objectKey() + ") could not be packaged: " + e.getMessage();
            r.slices.add(slice.seq());
            r.pendingDiscontinuity = true;
            metrics.counter("tapedeck.packager.slice.failures").increment();
            LOG.errorf("%s", r.problem);
            manifests.save(m);
        } finally {
            deleteTree(work);
            MDC.clear();
        }
    }

    public void onClosed(RecordingClosed closed) {
        synchronized (lock(closed.recordingId())) {
            close(closed);
        }
    }

    private void close(RecordingClosed closed) {
        mdc(closed.recordingId(), closed.rendition(), closed.streamKey());
        try {
            if (closed.reason() == null || !closed.reason().isFinal()) {
                // An older recorder's SHUTDOWN: the recording continues on another replica.
                LOG.infof("rendition %s: close reason %s is not an end; the replay stays live", closed.rendition(), closed.reason());
                return;
            }
            Manifest m = manifests.load(closed.recordingId()).orElse(null);
            if (m == null || m.renditions.values().stream().allMatch(r -> r.segments.isEmpty())) {
                LOG.warnf("recording closed (%s) with nothing packaged", closed.reason());
                Manifest empty = m != null ? m : createEmpty(closed);
                catalog.publish(entry(empty, CatalogEntry.Status.FAILED,
                        closed.message() != null ? closed.message() : "no media was recorded (" + closed.reason() + ")"));
                return;
            }
            Manifest.RenditionState r = m.renditions.computeIfAbsent(closed.rendition(), k -> new Manifest.RenditionState());
            long packaged = r.slices.stream().mapToLong(Long::longValue).max().orElse(-1);
            if (packaged > closed.lastSeq()) {
                // A close that arrived after slices of the session that continued the recording: it ended an earlier part.
                LOG.infof("rendition %s: close at slice %d comes after slice %d of a republished session; the replay stays live",
                        closed.rendition(), closed.lastSeq(), packaged);
                return;
            }
            r.closed = true;
            r.closedLastSeq = closed.lastSeq();
            if (m.endedAt == null || m.endedAt.isBefore(closed.closedAt())) {
                m.endedAt = closed.closedAt();
            }
            publishPlaylists(m, closed.rendition());
            manifests.save(m);
            boolean allClosed = m.renditions.values().stream().allMatch(x -> x.closed);
            catalog.publish(entry(m, allClosed ? CatalogEntry.Status.READY : CatalogEntry.Status.LIVE, null));
            LOG.infof("rendition %s closed (%s); recording %s", closed.rendition(), closed.reason(), allClosed ? "READY" : "still live");
        } finally {
            MDC.clear();
        }
    }

    /** Events of one recording are handled one at a time: they share its manifest. */
    private Object lock(String recordingId) {
        return locks[Math.floorMod(recordingId.hashCode(), locks.length)];
    }

    private void publishPlaylists(Manifest m, String rendition) {
        Manifest.RenditionState r = m.renditions.get(rendition);
        put(StorageKeys.mediaPlaylist(m.recordingId, rendition), PlaylistWriter.media(r));
        put(StorageKeys.master(m.recordingId), PlaylistWriter.master(m));
    }

    private void put(String key, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        Retry.DEFAULT.run("upload " + key, () -> {
            store.putBytes(key, bytes, PLAYLIST_TYPE);
            return null;
        });
    }

    CatalogEntry entry(Manifest m, CatalogEntry.Status status, String message) {
        var variants = PlaylistWriter.variants(m);
        long duration = m.renditions.containsKey("source") ? m.renditions.get("source").durationMillis()
                : variants.stream().mapToLong(PlaylistWriter.Variant::durationMillis).max().orElse(0);
        var renditions = variants.stream().map(v -> new CatalogEntry.Rendition(v.name(), StorageKeys.mediaPlaylist(m.recordingId, v.name()),
                v.width(), v.height(), v.frameRate(), v.bandwidth(), v.averageBandwidth(), v.codecs(), v.segments(), v.durationMillis()))
                .toList();
        String problem = message != null ? message
                : m.renditions.values().stream().map(r -> r.problem).filter(p -> p != null).findFirst().orElse(null);
        return new CatalogEntry(m.recordingId, m.streamKey, m.app, m.stream, status, m.startedAt,
                status == CatalogEntry.Status.LIVE ? null : m.endedAt, duration,
                renditions.isEmpty() ? null : StorageKeys.master(m.recordingId), renditions, problem, clock.instant());
    }

    /** A new manifest; the first slice was stored when it ended, so the recording began one slice earlier. */
    private static Manifest create(SliceStored slice) {
        return newManifest(slice.recordingId(), slice.streamKey(), slice.storedAt().minusMillis(slice.durationMillis()));
    }

    private static Manifest createEmpty(RecordingClosed closed) {
        Manifest m = newManifest(closed.recordingId(), closed.streamKey(), closed.closedAt());
        m.endedAt = closed.closedAt();
        return m;
    }

    private static Manifest newManifest(String recordingId, String streamKey, java.time.Instant startedAt) {
        Manifest m = new Manifest();
        m.recordingId = recordingId;
        m.streamKey = streamKey;
        StreamKey key = StreamKey.parse(streamKey);
        m.app = key.app();
        m.stream = key.stream();
        m.startedAt = startedAt;
        return m;
    }

    private static void mdc(String recordingId, String rendition, String streamKey) {
        MDC.put("recordingId", recordingId);
        MDC.put("rendition", rendition);
        MDC.put("streamKey", streamKey);
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
