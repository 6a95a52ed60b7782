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
import dev.tapedeck.packager.media.SegmentFormat;
import dev.tapedeck.packager.media.SegmentedSlice;
import dev.tapedeck.packager.media.Thumbnailer;
import dev.tapedeck.packager.hls.ThumbnailTrack;
import dev.tapedeck.packager.media.UnsupportedCodecException;
import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.storage.Sha256;
import dev.tapedeck.storage.StorageException;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Slice events in, HLS out: each stored slice becomes segments appended to its rendition's playlist
 * (EVENT while live); a closed recording gets VOD playlists, the master playlist and a READY catalog entry.
 *
 * <p>Each method is one step on a lane of its recording ({@link RecordingLanes}): steps of one rendition never overlap.
 * A step that fails on storage or the broker throws and is retried; writes use deterministic keys, so a retry overwrites
 * what the failed attempt wrote, and it writes the recording's outputs again ({@link #step}). A slice
 * that is missing or damaged (its bytes differ from SliceStored's sha256, or its media cannot be read) becomes a gap.
 */
@ApplicationScoped
public class PackagerService {
    private static final Logger LOG = Logger.getLogger(PackagerService.class);
    static final String PLAYLIST_TYPE = "application/vnd.apple.mpegurl";
    private static final String SOURCE = "source";

    private final PackagerConfig config;
    private final ObjectStore store;
    private final ManifestStore manifests;
    private final CatalogEvents catalog;
    private final Clock clock;

    private final MeterRegistry metrics;
    private final RecordingLanes lanes;
    private final SliceAttempts attempts;
    /** Recordings with something waiting on a timer: completed once nothing waits. */
    private final Map<String, CompletableFuture<Void>> completing = new ConcurrentHashMap<>();
    /** Recordings whose last step failed: their next step writes their outputs again. */
    private final java.util.Set<String> unfinished = ConcurrentHashMap.newKeySet();
    /** Order waits this replica has a timer for, {@code recordingId/rendition}. */
    private final java.util.Set<String> orderChecks = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "packager-rendition-timeout");
        t.setDaemon(true);
        return t;
    });

    PackagerService(PackagerConfig config, ObjectStore store, ManifestStore manifests, CatalogEvents catalog, Clock clock,
            MeterRegistry metrics, RecordingLanes lanes) {
        this.metrics = metrics;
        this.lanes = lanes;
        this.config = config;
        this.store = store;
        this.manifests = manifests;
        this.catalog = catalog;
        this.clock = clock;
        this.attempts = new SliceAttempts(store, config.crashLimit());
    }

    /**
     * A stream was published. A source opens its recording's manifest; a rung (derived stream) is recorded
     * as an expected rendition, so the replay turns READY only once that rendition is closed too, even when
     * the source's recording closes first.
     */
    public void onPublished(StreamPublished p) {
        step(p.recordingId(), p.rendition(), p.sourceStreamKey(), () -> published(p));
    }

    private void published(StreamPublished p) {
        boolean[] changed = {false};
        Manifest m = manifests.open(p.recordingId(), () -> {
            changed[0] = true;
            return newManifest(p.recordingId(), p.sourceStreamKey(), p.publishedAt());
        });
        synchronized (m) {
            if (!p.derived() && (m.startedAt == null || p.publishedAt().isBefore(m.startedAt))) {
                m.startedAt = p.publishedAt();
                changed[0] = true;
            }
            if (!m.renditions.containsKey(SOURCE) && m.finalStatus == null) {
                // Every publish of the recording (the source's, a rung's) means its source: expected until it closes.
                m.renditions.put(SOURCE, new Manifest.RenditionState());
                changed[0] = true;
            }
            if (p.derived() && !m.renditions.containsKey(p.rendition()) && m.finalStatus != null) {
                LOG.warnf("rendition %s was published after the replay was complete (%s); it is left out", p.rendition(), m.finalStatus);
            } else if (p.derived() && !m.renditions.containsKey(p.rendition())) {
                m.renditions.put(p.rendition(), new Manifest.RenditionState());
                LOG.infof("rendition %s expected", p.rendition());
                changed[0] = true;
            }
            if (changed[0]) {
                manifests.changed(m);
            }
        }
    }

    public void onSlice(SliceStored slice) {
        step(slice.recordingId(), slice.rendition(), slice.streamKey(), () -> packageSlice(slice));
    }

    /**
     * One step of a recording, its log lines tagged with it. Then the recording's timers and acknowledgements are brought
     * up to date. A step that failed may have changed the recording's state and not written all that follows from it (a
     * playlist, the catalog entry): the recording's next step (the retry) finds the change made, and then writes every
     * output of the recording again from its state ({@link #republish}). The state itself is kept: it holds what earlier
     * steps did and is saved at the manifest's bounded rate, their events unacknowledged until then.
     */
    private void step(String recordingId, String rendition, String streamKey, Runnable body) {
        mdc(recordingId, rendition, streamKey);
        try {
            body.run();
            if (unfinished.contains(recordingId)) {
                republish(recordingId);
                unfinished.remove(recordingId);
            }
            updateSettled(recordingId);
        } catch (RuntimeException e) {
            unfinished.add(recordingId);
            throw e;
        } finally {
            MDC.clear();
        }
    }

    /** Writes a recording's playlists, thumbnail track and catalog entry from its state (after a step that failed). */
    private void republish(String recordingId) {
        Manifest m = manifests.load(recordingId).orElse(null);
        if (m == null) {
            return;
        }
        synchronized (m) {
            boolean any = false;
            for (var e : m.renditions.entrySet()) {
                Manifest.RenditionState r = e.getValue();
                if (!r.segments.isEmpty() && place(m, e.getKey(), r, false)) {
                    put(StorageKeys.mediaPlaylist(m.recordingId, e.getKey()), PlaylistWriter.media(r));
                    any = true;
                }
            }
            if (any) {
                put(StorageKeys.master(m.recordingId), PlaylistWriter.master(m));
            }
            if (m.thumbnailTrack != null) {
                writeThumbnailTrack(m);
            }
            if (m.status != null) {
                CatalogEntry.Status status = CatalogEntry.Status.valueOf(m.status);
                publish(m, status, status == CatalogEntry.Status.FAILED ? m.message : null);
            }
            LOG.infof("outputs of the recording written again after a failed step");
        }
    }

    private void packageSlice(SliceStored slice) {
        Manifest m = manifests.open(slice.recordingId(), () -> create(slice));
        Manifest.RenditionState r;
        boolean packageIt = false;
        synchronized (m) {
            Manifest.RenditionState known = m.renditions.get(slice.rendition());
            if (known == null && m.finalStatus != null || known != null && known.dropped != null) {
                LOG.warnf("slice %d of rendition %s arrived after the replay was complete without it (%s); it is left out", slice.seq(),
                        slice.rendition(), m.finalStatus);
                return;
            }
            r = renditionState(m, slice.rendition());
            long next = Math.max(r.nextSeq(), 0);
            boolean givenUp = r.gaps.stream().anyMatch(g -> g.slice == slice.seq() && "missing".equals(g.cause));
            if (!givenUp && (r.handled(slice.seq()) || r.waiting.stream().anyMatch(w -> w.seq() == slice.seq()))) {
                LOG.debugf("slice %d already packaged or waiting", slice.seq());
            } else if (slice.seq() < next) {
                // Its place was given up (it had not come within the order wait): the playlist cannot change behind its end.
                r.lateSlices++;
                metrics.counter("tapedeck.packager.slices.late").increment();
                LOG.warnf("slice %d arrived after its place was marked as a gap; it is left out", slice.seq());
                manifests.changed(m);
            } else if (slice.seq() > next && !quarantineHole(slice)) {
                // An earlier slice has not arrived yet: this one waits for it, at most the order wait.
                r.waiting.add(slice);
                r.waiting.sort(Comparator.comparingLong(SliceStored::seq));
                if (r.waitingSince == null) {
                    r.waitingSince = clock.instant();
                    scheduleOrderCheck(m.recordingId, slice.rendition(), r.waitingSince);
                }
                LOG.infof("slice %d waits for slice %d", slice.seq(), next);
                manifests.changed(m);
            } else {
                for (long missing = next; missing < slice.seq(); missing++) {
                    // The recorder quarantined it: it will never come.
                    missingGap(r, missing, "quarantined", "the recorder could not store it (see its quarantine)");
                }
                packageIt = true;
            }
        }
        if (packageIt) {
            packageOne(m, r, slice);
        }
        progress(m, slice.rendition());
    }

    /** The recorder says the slices before this one were quarantined: nothing is worth waiting for. */
    private static boolean quarantineHole(SliceStored slice) {
        return slice.media() != null && "QUARANTINE_HOLE".equals(slice.media().discontinuityCause());
    }

    /** Packages the waiting slices whose turn has come, then a close that waited for them. */
    private void progress(Manifest m, String rendition) {
        Manifest.RenditionState r;
        synchronized (m) {
            r = m.renditions.get(rendition);
        }
        while (true) {
            SliceStored next;
            synchronized (m) {
                if (r.waiting.isEmpty() || r.waiting.get(0).seq() > r.nextSeq()) {
                    break;
                }
                next = r.waiting.remove(0);
                if (r.handled(next.seq())) {
                    continue;
                }
            }
            packageOne(m, r, next);
        }
        synchronized (m) {
            if (r.waiting.isEmpty()) {
                r.waitingSince = null;
            }
            if (r.closeWaiting != null && r.nextSeq() > r.closeWaiting.lastSeq()) {
                RecordingClosed closed = r.closeWaiting;
                r.closeWaiting = null;
                closeLocked(m, closed);
            }
        }
    }

    /** A rendition's state, created when new; a rung's means its source is expected too (a rung has a source). */
    private static Manifest.RenditionState renditionState(Manifest m, String rendition) {
        if (!SOURCE.equals(rendition)) {
            m.renditions.computeIfAbsent(SOURCE, k -> new Manifest.RenditionState());
        }
        return m.renditions.computeIfAbsent(rendition, k -> new Manifest.RenditionState());
    }

    /** Schedules the end of a rendition's order wait, unless this replica has already scheduled it. */
    private void scheduleOrderCheck(String recordingId, String rendition, java.time.Instant since) {
        String key = recordingId + "/" + rendition;
        if (!orderChecks.add(key)) {
            return;
        }
        Duration left = config.orderWait().minus(Duration.between(since, clock.instant()));
        timer.schedule(() -> {
            orderChecks.remove(key);
            lanes.submit(lane(recordingId, rendition), "order wait of " + rendition, () -> onOrderWaitOver(recordingId, rendition));
        }, Math.max(0, left.toMillis()), TimeUnit.MILLISECONDS);
    }

    /**
     * After a step: a recording with something waiting on a timer (slices or a close waiting for an earlier slice, renditions
     * given time to close) is not settled, and its events stay unacknowledged, so after a restart they are delivered
     * again and the timers run again here.
     */
    private void updateSettled(String recordingId) {
        Manifest m = manifests.load(recordingId).orElse(null);
        boolean waiting = false;
        if (m != null) {
            synchronized (m) {
                waiting = m.sourceClosedAt != null && m.finalStatus == null
                        || m.renditions.values().stream().anyMatch(r -> r.waitingSince != null || r.closeWaiting != null);
                m.renditions.forEach((name, r) -> {
                    if (r.waitingSince != null) {
                        scheduleOrderCheck(recordingId, name, r.waitingSince);
                    }
                });
            }
        }
        if (waiting) {
            completing.computeIfAbsent(recordingId, k -> new CompletableFuture<>());
        } else {
            CompletableFuture<Void> done = completing.remove(recordingId);
            if (done != null) {
                done.complete(null);
            }
        }
    }

    /** The order wait of a rendition passed: slices that did not come become gaps, and what waited for them is packaged. */
    public void onOrderWaitOver(String recordingId, String rendition) {
        step(recordingId, rendition, null, () -> orderWaitOver(recordingId, rendition));
    }

    private void orderWaitOver(String recordingId, String rendition) {
        Manifest m = manifests.load(recordingId).orElse(null);
        if (m == null) {
            return;
        }
        Manifest.RenditionState r;
        synchronized (m) {
            r = m.renditions.get(rendition);
            if (r == null || r.waitingSince == null || clock.instant().isBefore(r.waitingSince.plus(config.orderWait()))) {
                return;
            }
            if (!r.waiting.isEmpty() || r.closeWaiting != null) {
                long upTo = !r.waiting.isEmpty() ? r.waiting.get(0).seq() : r.closeWaiting.lastSeq() + 1;
                for (long missing = Math.max(r.nextSeq(), 0); missing < upTo; missing++) {
                    missingGap(r, missing, "missing", "it did not arrive within " + config.orderWait().toMillis() / 1000.0
                            + " s of a later one");
                }
            }
            r.waitingSince = null;
            manifests.changed(m);
        }
        progress(m, rendition);
        synchronized (m) {
            if (r.waitingSince == null && (!r.waiting.isEmpty() || r.closeWaiting != null)) {
                r.waitingSince = clock.instant();
            }
            manifests.changed(m);
        }
    }

    /** Slice {@code seq} is not in the replay and will not be: a gap before the next segment. */
    private void missingGap(Manifest.RenditionState r, long seq, String cause, String why) {
        Manifest.Gap g = new Manifest.Gap();
        g.slice = seq;
        g.firstDtsMillis = -1;
        g.durationMillis = -1;
        g.cause = cause;
        g.detail = why;
        r.gaps.add(g);
        r.slices.add(seq);
        r.pendingDiscontinuity = true;
        r.problem = r.problem != null ? r.problem : "slice " + seq + " is missing: " + why;
        metrics.counter("tapedeck.packager.slice.failures", "cause", cause).increment();
        LOG.errorf("slice %d becomes a gap: %s", seq, why);
    }

    /**
     * Packages one slice whose turn it is (every slice before it is packaged or a gap). The slow part (download, check,
     * remux, segment uploads) runs without the recording's lock, so renditions of one recording are packaged side by
     * side; the manifest, the playlists and the catalog entry are updated under it.
     */
    private void packageOne(Manifest m, Manifest.RenditionState r, SliceStored slice) {
        boolean gap;
        long offset;
        synchronized (m) {
            if (r.closed && slice.seq() > r.closedLastSeq) {
                // The source was republished within the reconnect window: the recording goes on.
                LOG.infof("rendition %s reopened: slice %d follows its close at slice %d", slice.rendition(), slice.seq(), r.closedLastSeq);
                r.closed = false;
                m.endedAt = null;
                m.finalStatus = null;
                if (SOURCE.equals(slice.rendition())) {
                    m.sourceClosedAt = null;
                }
            }
            gap = r.pendingDiscontinuity || slice.discontinuity()
                    || !r.slices.isEmpty() && slice.seq() != r.slices.get(r.slices.size() - 1) + 1;
            // A rung's slice that continues its last one may still begin in a hole of the source alone (the source's
            // recorder died, the rung's did not): every rung slice is matched with the source's part of its time, and
            // one whose part moved is a discontinuity of the rung as of the source.
            offset = gap || !SOURCE.equals(slice.rendition()) ? offset(m, r, slice, !gap) : r.offsetMillis;
            gap |= offset != r.offsetMillis;
        }
        Path work = config.workDir().resolve(slice.recordingId() + "-" + slice.rendition() + "-" + slice.seq());
        SegmentFormat format = m.segmentFormat != null ? m.segmentFormat : SegmentFormat.TS;
        long t0 = System.nanoTime();
        Thumbnailer.Pass pictures = SOURCE.equals(slice.rendition()) ? pictures(m, slice) : null;
        try {
            SegmentedSlice out;
            try {
                out = segment(slice, work, format, pictures, offset);
            } catch (Damaged e) {
                // A slice that is gone or damaged is skipped; the next one starts after a discontinuity.
                synchronized (m) {
                    Manifest.Gap g = new Manifest.Gap();
                    g.slice = slice.seq();
                    g.firstDtsMillis = slice.firstDtsMillis();
                    g.durationMillis = slice.durationMillis();
                    g.storedAt = slice.storedAt();
                    g.cause = e.cause;
                    g.detail = e.getMessage();
                    r.gaps.add(g);
                    r.problem = r.problem != null ? r.problem
                            : "slice " + slice.seq() + " (" + slice.objectKey() + ") could not be packaged: " + e.getMessage();
                    r.slices.add(slice.seq());
                    r.pendingDiscontinuity = true;
                    metrics.counter("tapedeck.packager.slice.failures", "cause", e.cause).increment();
                    LOG.errorf("slice %d (%s) could not be packaged, it becomes a gap: %s", slice.seq(), slice.objectKey(), e.getMessage());
                    publish(m, CatalogEntry.Status.LIVE, null);
                }
                return;
            }
            Thumbnailer.Sheet sheet = pictures != null ? thumbnails(slice, pictures) : null;
            long t1 = System.nanoTime();
            // Only this rendition's lane appends to its segments.
            Manifest.SegmentEntry last = r.segments.isEmpty() ? null : r.segments.get(r.segments.size() - 1);
            long next = last == null ? 0 : last.index + 1;
            String map = last == null ? null : last.map;
            List<Manifest.SegmentEntry> added = new ArrayList<>();
            for (Segment s : out.segments()) {
                long index = next++;
                if (s.init() != null) {
                    map = initSection(m, slice, r, s.init(), map, index);
                }
                String key = StorageKeys.segment(slice.recordingId(), slice.rendition(), index, format.extension());
                store.putFile(key, s.file(), format.contentType());
                Manifest.SegmentEntry e = new Manifest.SegmentEntry();
                e.map = s.init() != null ? map : null;
                e.index = index;
                e.slice = slice.seq();
                e.firstDtsMillis = s.firstDtsMillis();
                e.startMillis = s.startMillis();
                e.programDateTime = slice.firstPacketAt() == null ? null
                        : slice.firstPacketAt().plusMillis(s.firstDtsMillis() - (slice.firstDtsMillis() + offset));
                e.durationMillis = s.durationMillis();
                e.bytes = s.bytes();
                e.videoFrames = s.videoFrames();
                e.videoSpanMillis = s.videoSpanMillis();
                e.discontinuity = added.isEmpty() && gap && !r.segments.isEmpty();
                added.add(e);
            }
            long t2 = System.nanoTime();
            synchronized (m) {
                long t3 = System.nanoTime();
                if (r.dropped != null) {
                    LOG.warnf("slice %d of rendition %s is left out: the rendition was left out meanwhile", slice.seq(), slice.rendition());
                    return;
                }
                if (sheet != null) {
                    addThumbnails(m, slice, sheet);
                }
                shifted(m, r, slice, offset);
                r.mediaEndMillis = r.mediaEndMillis == null ? out.mediaEndMillis() : Math.max(r.mediaEndMillis, out.mediaEndMillis());
                commit(m, r, slice, out, added);
                LOG.debugf("slice %d: download and remux %d ms, segment uploads %d ms, waiting for the recording %d ms, commit %d ms",
                        slice.seq(), (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000, (System.nanoTime() - t3) / 1_000_000);
            }
        } finally {
            if (pictures != null) {
                pictures.close();
            }
            deleteTree(work);
        }
    }

    /**
     * The initialization section a fragmented-MP4 segment needs: the one before it when its bytes are the same (the
     * rendition's streams did not change), else uploaded under a new name ({@code init.mp4} for the rendition's first,
     * {@code init-{index}.mp4} after). Its SHA-256 is kept with it in the manifest.
     */
    private String initSection(Manifest m, SliceStored slice, Manifest.RenditionState r, Path init, String current, long index) {
        String sha;
        try {
            sha = Sha256.of(init);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + init, e);
        }
        String name;
        synchronized (m) {
            if (current != null && sha.equals(r.initSha256.get(current))) {
                return current;
            }
            name = StorageKeys.initName(index, r.initSha256.isEmpty());
            for (var e : r.initSha256.entrySet()) {
                if (e.getValue().equals(sha)) {
                    return e.getKey(); // the streams changed back: an earlier section serves again
                }
            }
        }
        store.putFile(StorageKeys.init(slice.recordingId(), slice.rendition(), name), init, "video/mp4");
        synchronized (m) {
            r.initSha256.put(name, sha);
        }
        return name;
    }

    private void commit(Manifest m, Manifest.RenditionState r, SliceStored slice, SegmentedSlice out, List<Manifest.SegmentEntry> added) {
        if (r.targetDuration == 0 && r.segments.isEmpty()) {
            r.targetDuration = targetDuration(slice, added);
        }
        for (Manifest.SegmentEntry e : added) {
            if (Math.round(e.durationMillis / 1000.0) > r.targetDuration && r.targetDuration > 0) {
                r.overTarget++;
                metrics.counter("tapedeck.packager.segments.over.target").increment();
                LOG.warnf("segment %d lasts %d ms, longer than the playlist's target duration of %d s: keyframes are further apart"
                        + " than when the rendition began", e.index, e.durationMillis, r.targetDuration);
            }
        }
        if (!SOURCE.equals(slice.rendition())) {
            // A rung's playlist lists them once they are placed on the source's timeline.
            r.unplaced += added.size();
        }
        r.segments.addAll(added);
        r.width = out.info().width();
        r.height = out.info().height();
        r.codecs = out.info().codecs();
        r.slices.add(slice.seq());
        r.sliceRecords.add(record(slice));
        r.pendingDiscontinuity = false;
        publishPlaylists(m, slice.rendition());
        publish(m, CatalogEntry.Status.LIVE, null);
        metrics.counter("tapedeck.packager.slices.packaged").increment();
        metrics.counter("tapedeck.packager.segments.written").increment(out.segments().size());
        LOG.infof("slice %d packaged into %d segments (%d ms)", slice.seq(), out.segments().size(), r.durationMillis());
    }

    /**
     * A pass that takes the pictures of a source slice while the segmenter reads it (null when pictures are off), going
     * on from where the slice before left off.
     */
    private Thumbnailer.Pass pictures(Manifest m, SliceStored slice) {
        if (config.thumbnailInterval().isZero()) {
            return null;
        }
        long previous;
        boolean poster;
        synchronized (m) {
            previous = m.thumbnailSlice >= 0 && m.thumbnailSlice == slice.seq() - 1 ? m.thumbnailLastKeyframeMillis : Long.MIN_VALUE;
            poster = m.poster == null;
        }
        return new Thumbnailer(config.thumbnailInterval().toMillis(), config.thumbnailWidth(), config.thumbnailColumns(),
                config.posterWidth()).pass(previous, poster);
    }

    /**
     * The thumbnails of a source slice: its sprite sheet (and the poster, from the recording's first picture) written.
     * Pictures are an extra: a slice whose pictures cannot be made is packaged without them (logged and counted); a
     * storage error passes through (the step is retried, the keys are the same).
     */
    private Thumbnailer.Sheet thumbnails(SliceStored slice, Thumbnailer.Pass pictures) {
        Thumbnailer.Sheet sheet;
        try {
            sheet = pictures.finish();
        } catch (IOException | RuntimeException e) {
            metrics.counter("tapedeck.packager.thumbnail.failures").increment();
            LOG.warnf("no thumbnails of slice %d: %s", slice.seq(), e.getMessage());
            return null;
        }
        if (sheet.jpeg() != null) {
            store.putBytes(StorageKeys.sprite(slice.recordingId(), slice.seq()), sheet.jpeg(), "image/jpeg");
        }
        if (sheet.posterJpeg() != null) {
            store.putBytes(StorageKeys.poster(slice.recordingId()), sheet.posterJpeg(), "image/jpeg");
        }
        return sheet;
    }

    private static void addThumbnails(Manifest m, SliceStored slice, Thumbnailer.Sheet sheet) {
        if (slice.seq() <= m.thumbnailSlice) {
            return; // a redelivered slice
        }
        for (Thumbnailer.Cue c : sheet.cues()) {
            Manifest.Thumbnail t = new Manifest.Thumbnail();
            t.startMillis = c.startMillis();
            t.slice = slice.seq();
            t.sprite = StorageKeys.spriteName(slice.seq());
            t.x = c.x();
            t.y = c.y();
            t.width = c.width();
            t.height = c.height();
            m.thumbnails.add(t);
        }
        if (sheet.posterJpeg() != null && m.poster == null) {
            m.poster = StorageKeys.poster(slice.recordingId());
        }
        m.thumbnailSlice = slice.seq();
        m.thumbnailLastKeyframeMillis = sheet.lastKeyframeMillis();
    }

    private static Manifest.SliceRecord record(SliceStored slice) {
        Manifest.SliceRecord s = new Manifest.SliceRecord();
        s.seq = slice.seq();
        s.objectKey = slice.objectKey();
        s.firstPacketAt = slice.firstPacketAt();
        s.sha256 = slice.sha256();
        s.bytes = slice.bytes();
        s.firstDtsMillis = slice.firstDtsMillis();
        s.durationMillis = slice.durationMillis();
        s.storedAt = slice.storedAt();
        s.discontinuity = slice.discontinuity();
        if (slice.media() != null) {
            s.discontinuityCause = slice.media().discontinuityCause();
            s.timestampFaults.putAll(slice.media().timestampFaults());
        }
        return s;
    }

    /**
     * A rendition's target duration, fixed at its first slice: a segment ends at the first keyframe at or after its
     * grid line, so it lasts at most the segment duration plus one keyframe interval (seen in that slice).
     */
    private int targetDuration(SliceStored first, List<Manifest.SegmentEntry> segments) {
        long grid = config.segmentDuration().toMillis();
        long keyframeInterval = first.keyframes() > 0 ? first.durationMillis() / first.keyframes() : grid;
        long longest = segments.stream().mapToLong(e -> e.durationMillis).max().orElse(0);
        return (int) Math.max((grid + keyframeInterval + 999) / 1000, Math.round(longest / 1000.0));
    }

    /**
     * Downloads the slice, checks it against its SliceStored and cuts it into segments in {@code work}, showing its
     * packets to {@code pictures} on the way (when not null). A storage error other than "not found" passes through (the
     * step is retried); anything wrong with the slice itself is {@link Damaged}.
     */
    private SegmentedSlice segment(SliceStored slice, Path work, SegmentFormat format, Thumbnailer.Pass pictures, long offset) {
        Path flv = work.resolve("slice.flv");
        try {
            Files.createDirectories(work);
            store.download(slice.objectKey(), flv);
        } catch (StorageException e) {
            if (e.notFound()) {
                throw new Damaged("missing", "the object " + slice.objectKey() + " does not exist");
            }
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to the work directory " + work, e);
        }
        // The attempt is recorded before any native work: a slice that killed the process crashLimit times is a gap. A
        // process that dies takes every slice in work with it, so a slice it died in once is tried again alone (no other
        // native work at the same time): a death then is its own, and a slice that only shared a death is not blamed.
        int died;
        try {
            died = attempts.died(slice);
        } catch (SliceAttempts.Exhausted e) {
            throw new Damaged("crashed", e.getMessage() + " (the limit is " + config.crashLimit() + "); it is left out");
        }
        java.util.concurrent.locks.Lock lock = died > 0 ? nativeWork.writeLock() : nativeWork.readLock();
        if (died > 0) {
            LOG.warnf("slice %d (%s): the packager died %d time%s while packaging it; trying it again alone", slice.seq(),
                    slice.objectKey(), died, died == 1 ? "" : "s");
        }
        lock.lock();
        try {
            attempts.begin(slice, died);
            return segmentCounted(slice, work, format, pictures, offset, flv);
        } finally {
            lock.unlock();
        }
    }

    /** Native work in flight: shared by slices, held alone by one the process died in before. */
    private final java.util.concurrent.locks.ReentrantReadWriteLock nativeWork = new java.util.concurrent.locks.ReentrantReadWriteLock();

    private SegmentedSlice segmentCounted(SliceStored slice, Path work, SegmentFormat format, Thumbnailer.Pass pictures, long offset,
            Path flv) {
        if (config.haltOnSlice().filter(p -> p.matcher(slice.objectKey()).find()).isPresent()) {
            LOG.errorf("halting on slice %s (tapedeck.packager.halt-on-slice, a test setting)", slice.objectKey());
            Runtime.getRuntime().halt(134);
        }
        try {
            if (slice.sha256() != null && !slice.sha256().isEmpty()) {
                String sha = Sha256.of(flv);
                if (!sha.equalsIgnoreCase(slice.sha256())) {
                    throw new Damaged("checksum", "its bytes do not match the checksum it was stored with (sha256 " + sha
                            + ", expected " + slice.sha256() + ")");
                }
            }
            SegmentedSlice out = new HlsSegmenter(config.segmentDuration().toMillis(), format)
                    .segment(flv, work.resolve("segments"), slice.firstDtsMillis() + offset + slice.durationMillis(), pictures, offset);
            if (out.segments().isEmpty()) {
                throw new Damaged("undecodable", "it holds no audio or video packets");
            }
            return out;
        } catch (Damaged e) {
            throw e;
        } catch (UnsupportedCodecException e) {
            throw new Damaged("unsupported", e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw new Damaged("undecodable", e.getMessage());
        } finally {
            attempts.end(slice);
        }
    }

    /**
     * How far the timestamps of {@code slice}, which follows a discontinuity, are moved on the recording's timeline. The
     * source's: so that it continues its last segment, whether its timestamps started over (a publisher back within the
     * reconnect window starts at 0 again) or jumped ahead (media lost). A rung's: as the source's part
     * that was live when the rung's slice began (by wall clock, {@link #SHIFT_SKEW} either way), which may mean waiting for
     * the source to package that part ({@link SourceBehind}, retried). A replay's timestamps then never run backwards, and
     * segment N still starts at the same time in every rendition. A rung's slice that continues its last one
     * ({@code continuing}) takes a part's offset only from that part's own start on, or where it begins in the hole the
     * part closes: its last part's media may run up to the next part by wall clock.
     */
    private long offset(Manifest m, Manifest.RenditionState r, SliceStored slice, boolean continuing) {
        if (SOURCE.equals(slice.rendition())) {
            if (r.segments.isEmpty()) {
                return r.offsetMillis;
            }
            Manifest.SegmentEntry last = r.segments.get(r.segments.size() - 1);
            // Its audio may end after its video, and its last picture after its last decode: the next part begins where the
            // last packet of either ends as shown. Whether its timestamps start over or jump ahead (media lost to a recorder
            // that died): FFmpeg's reader takes a jump of 10 s or more for a fault and rebases it onto the next DTS it
            // expected, which repeats DTS; players place a part after a discontinuity by the playlist anyway. The wall
            // clock stays in PROGRAM-DATE-TIME.
            long end = Math.max(last.firstDtsMillis + last.durationMillis, r.mediaEndMillis == null ? Long.MIN_VALUE : r.mediaEndMillis);
            return end - slice.firstDtsMillis();
        }
        Instant at = slice.firstPacketAt();
        if (at == null || m.finalStatus != null || r.dropped != null) {
            return r.offsetMillis;
        }
        Manifest.RenditionState source = m.renditions.get(SOURCE);
        // A source whose recorder does not say when its slices began cannot be matched by wall clock: as before.
        boolean undated = source != null && !source.sliceRecords.isEmpty() && source.sliceRecords.stream().allMatch(x -> x.firstPacketAt == null);
        // Covered: the source has packaged media past this slice's start. Where it has a hole (its recorder died alone)
        // its last slice before the hole ends where the hole begins, so the slice waits until the source's next part
        // says where its timeline goes on.
        boolean covered = undated || source != null && source.dropped == null && source.sliceRecords.stream()
                .anyMatch(x -> x.firstPacketAt != null && x.firstPacketAt.plusMillis(x.durationMillis).isAfter(at));
        if (!covered && (source == null || source.dropped == null && !source.closed)) {
            throw new SourceBehind("slice " + slice.seq() + " of " + slice.rendition() + " waits for the source's slice of its time ("
                    + at + ")");
        }
        long offset = 0;
        Manifest.Shift next = null;
        Duration skew = continuing ? Duration.ZERO : SHIFT_SKEW;
        for (Manifest.Shift sh : m.shifts) {
            if (!sh.from.isAfter(at.plus(skew))) {
                offset = sh.offsetMillis;
                next = null;
            } else if (next == null) {
                next = sh;
            }
        }
        if (next != null && next.offsetMillis < offset) {
            // The source lost media before its next part (its timestamps jump ahead there, on the same clock as this
            // rung's) and its timeline closes that hole. A rung's slice that begins in the hole belongs to the next
            // part: what of it lies in the hole has no place on the timeline and is left out when it is placed.
            long nextSeq = next.sourceSeq;
            Long begins = source.sliceRecords.stream().filter(x -> x.seq == nextSeq).map(x -> x.firstDtsMillis).findFirst().orElse(null);
            if (begins != null && slice.firstDtsMillis() >= begins - (offset - next.offsetMillis) - LATE_RUNG_MILLIS) {
                return next.offsetMillis;
            }
        }
        return offset;
    }

    /** How much earlier by wall clock than a rung's slice the source's part it belongs to may have begun, and later. */
    static final Duration SHIFT_SKEW = Duration.ofSeconds(2);

    /** Keeps a slice's offset: the rendition's from now on and, for the source's new one, the recording's shift. */
    private void shifted(Manifest m, Manifest.RenditionState r, SliceStored slice, long offset) {
        if (offset != r.offsetMillis && SOURCE.equals(slice.rendition()) && slice.firstPacketAt() != null
                && m.shifts.stream().noneMatch(sh -> sh.sourceSeq == slice.seq())) {
            Manifest.Shift sh = new Manifest.Shift();
            sh.sourceSeq = slice.seq();
            sh.from = slice.firstPacketAt();
            sh.offsetMillis = offset;
            m.shifts.add(sh);
            LOG.infof("the source's timestamps do not continue at slice %d: its segments from here on are moved by %d ms to continue the"
                    + " replay's timeline", slice.seq(), offset);
        }
        r.offsetMillis = offset;
    }

    /** A rung's slice that must wait until the source has packaged its part of the same time. */
    static final class SourceBehind extends RuntimeException {
        SourceBehind(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * What is wrong with a slice that cannot be packaged; {@code cause} is {@code missing}, {@code checksum},
     * {@code undecodable}, {@code unsupported} (a codec HLS cannot carry) or {@code crashed} (its native work killed the
     * process {@code crash-limit} times).
     */
    private static final class Damaged extends RuntimeException {
        final String cause;

        Damaged(String cause, String message) {
            super(message, null, false, false);
            this.cause = cause;
        }
    }

    public void onClosed(RecordingClosed closed) {
        step(closed.recordingId(), closed.rendition(), closed.streamKey(), () -> close(closed));
    }

    private void close(RecordingClosed closed) {
        if (closed.reason() == null || !closed.reason().isFinal()) {
            // An older recorder's SHUTDOWN: the recording continues on another replica.
            LOG.infof("rendition %s: close reason %s is not an end; the replay stays live", closed.rendition(), closed.reason());
            return;
        }
        Manifest m = manifests.open(closed.recordingId(), () -> createEmpty(closed));
        synchronized (m) {
            closeLocked(m, closed);
        }
    }

    private void closeLocked(Manifest m, RecordingClosed closed) {
        Manifest.RenditionState r = m.renditions.get(closed.rendition());
        long packaged = r == null || r.slices.isEmpty() ? -1 : r.nextSeq() - 1;
        if (packaged > closed.lastSeq()) {
            // A close that arrived after slices of the session that continued the recording: it ended an earlier part.
            LOG.infof("rendition %s: close at slice %d comes after slice %d of a republished session; the replay stays live",
                    closed.rendition(), closed.lastSeq(), packaged);
            return;
        }
        if (packaged < closed.lastSeq()) {
            // Slices it names have not all arrived: the close waits for them, at most the order wait.
            r = m.renditions.computeIfAbsent(closed.rendition(), k -> new Manifest.RenditionState());
            if (r.closeWaiting == null) {
                r.closeWaiting = closed;
                if (r.waitingSince == null) {
                    r.waitingSince = clock.instant();
                }
                scheduleOrderCheck(m.recordingId, closed.rendition(), r.waitingSince);
                LOG.infof("rendition %s closes at slice %d; waiting for slice %d first", closed.rendition(), closed.lastSeq(), packaged + 1);
                manifests.changed(m);
            }
            return;
        }
        if (m.renditions.values().stream().allMatch(x -> x.segments.isEmpty())) {
            LOG.warnf("recording closed (%s) with nothing packaged", closed.reason());
            m.endedAt = m.endedAt != null ? m.endedAt : closed.closedAt();
            publish(m, CatalogEntry.Status.FAILED, closed.message() != null ? closed.message()
                    : m.renditions.values().stream().anyMatch(x -> !x.gaps.isEmpty()) ? "no slice could be packaged (" + closed.reason() + ")"
                    : "no media was recorded (" + closed.reason() + ")");
            return;
        }
        r = m.renditions.computeIfAbsent(closed.rendition(), k -> new Manifest.RenditionState());
        Manifest.CloseRecord previous = r.closes.isEmpty() ? null : r.closes.get(r.closes.size() - 1);
        if (r.closed && previous != null && previous.lastSeq == closed.lastSeq() && java.util.Objects.equals(previous.closedAt, closed.closedAt())) {
            // The same close again (delivered again, or its step retried): recorded already; what follows from it is written again.
            publishPlaylists(m, closed.rendition());
            settle(m);
            return;
        }
        Manifest.CloseRecord c = new Manifest.CloseRecord();
        c.reason = closed.reason().name();
        c.lastSeq = closed.lastSeq();
        c.closedAt = closed.closedAt();
        c.message = closed.message();
        c.gaps = closed.gaps().size();
        c.timestampFaults.putAll(closed.timestampFaults());
        c.endings.addAll(closed.endings());
        r.closes.add(c);
        r.closed = true;
        // A rung ends once the source has: its playlist then gets the source's segments after its end as gaps.
        r.awaitingSourceEnd = !SOURCE.equals(closed.rendition());
        r.closedLastSeq = closed.lastSeq();
        if (m.endedAt == null || m.endedAt.isBefore(closed.closedAt())) {
            m.endedAt = closed.closedAt();
        }
        if (m.sourceClosedAt == null && (SOURCE.equals(closed.rendition()) || !m.renditions.containsKey(SOURCE))) {
            m.sourceClosedAt = closed.closedAt();
        }
        publishPlaylists(m, closed.rendition());
        LOG.infof("rendition %s closed (%s)", closed.rendition(), closed.reason());
        settle(m);
    }

    /**
     * Declares the replay complete once every rendition has closed; otherwise, once the source has closed, gives the
     * others until the rendition timeout. Writes the manifest and the catalog entry either way.
     */
    private void settle(Manifest m) {
        boolean allClosed = m.renditions.values().stream().allMatch(x -> x.closed);
        if (!allClosed) {
            publish(m, CatalogEntry.Status.LIVE, null);
            if (m.sourceClosedAt != null) {
                Duration left = config.renditionTimeout().minus(Duration.between(m.sourceClosedAt, clock.instant()));
                String id = m.recordingId;
                timer.schedule(() -> lanes.submit(lane(id, SOURCE), "rendition timeout", () -> onRenditionTimeout(id)),
                        Math.max(0, left.toMillis()), TimeUnit.MILLISECONDS);
                LOG.infof("the source has closed; %s not yet, waiting up to %d ms", open(m), Math.max(0, left.toMillis()));
            }
            return;
        }
        if (m.renditions.values().stream().anyMatch(x -> (x.unplaced > 0 || x.awaitingSourceEnd) && x.dropped == null)) {
            placeWaiting(m, true);
            put(StorageKeys.master(m.recordingId), PlaylistWriter.master(m));
        }
        reportLateRungs(m);
        boolean damaged = m.renditions.values().stream().anyMatch(x -> !x.gaps.isEmpty());
        CatalogEntry.Status status = damaged ? CatalogEntry.Status.DEGRADED : CatalogEntry.Status.READY;
        writeThumbnailTrack(m);
        m.finalStatus = status.name();
        publish(m, status, null);
        LOG.infof("recording %s", status);
    }

    /**
     * Counts and reports the rungs of a complete replay whose first frame comes later than the source's (more than
     * {@link #LATE_RUNG_MILLIS}): their worker joined the source after its start. Recorded in the manifest
     * ({@code startsAfterSourceMillis}), logged, and counted in {@code tapedeck.packager.renditions.late}, once per rung.
     */
    private void reportLateRungs(Manifest m) {
        Manifest.RenditionState source = m.renditions.get(SOURCE);
        if (source == null || source.segments.isEmpty()) {
            return;
        }
        long start = source.segments.get(0).start();
        for (var e : m.renditions.entrySet()) {
            Manifest.RenditionState r = e.getValue();
            if (e.getKey().equals(SOURCE) || r.dropped != null || r.segments.isEmpty() || r.startsAfterSourceMillis != null) {
                continue;
            }
            long late = r.segments.get(0).start() - start;
            if (late > LATE_RUNG_MILLIS) {
                r.startsAfterSourceMillis = late;
                metrics.counter("tapedeck.packager.renditions.late").increment();
                LOG.warnf("rendition %s starts %d ms after the source: its worker joined the source late", e.getKey(), late);
            }
        }
    }

    /** A rung starting later than the source by more than this (a frame at 25 fps, give or take rounding) is late. */
    static final long LATE_RUNG_MILLIS = 50;

    /** The thumbnail track of a complete replay, its times counted from the start of the source's first segment. */
    private void writeThumbnailTrack(Manifest m) {
        Manifest.RenditionState source = m.renditions.get(SOURCE);
        if (m.thumbnails.isEmpty() || source == null || source.segments.isEmpty()) {
            return;
        }
        long zero = source.segments.get(0).start();
        put(StorageKeys.thumbnails(m.recordingId), ThumbnailTrack.render(m.thumbnails, zero, zero + source.durationMillis()), "text/vtt");
        m.thumbnailTrack = StorageKeys.thumbnails(m.recordingId);
    }

    /** The rendition timeout of a recording passed: renditions still open are left out, and the replay is complete. */
    public void onRenditionTimeout(String recordingId) {
        step(recordingId, null, null, () -> manifests.load(recordingId).ifPresent(m -> {
            synchronized (m) {
                dropUnclosed(m);
            }
        }));
    }

    /** Leaves out the renditions still open once the rendition timeout has passed, and declares the replay complete. */
    private void dropUnclosed(Manifest m) {
        if (m.finalStatus != null || m.sourceClosedAt == null) {
            return;
        }
        if (clock.instant().isBefore(m.sourceClosedAt.plus(config.renditionTimeout()))) {
            return; // the source reopened and closed again since this was scheduled: a later check is due
        }
        for (var e : m.renditions.entrySet()) {
            Manifest.RenditionState r = e.getValue();
            if (!r.closed) {
                r.dropped = "rendition " + e.getKey() + " is left out: it did not close within " + config.renditionTimeout().toMillis() / 1000.0
                        + " s of the source";
                r.closed = true;
                LOG.warnf("%s", r.dropped);
                metrics.counter("tapedeck.packager.renditions.dropped").increment();
                if (!r.segments.isEmpty()) {
                    place(m, e.getKey(), r, true);
                    put(StorageKeys.mediaPlaylist(m.recordingId, e.getKey()), PlaylistWriter.media(r));
                }
            }
        }
        put(StorageKeys.master(m.recordingId), PlaylistWriter.master(m));
        settle(m);
    }

    /** The lane of a rendition of a recording: its events are handled in order, other renditions' beside them. */
    public static String lane(String recordingId, String rendition) {
        return recordingId + "/" + rendition;
    }

    /**
     * Completes once nothing of the recording waits on a timer (see {@link #updateSettled}) and its manifest is saved with
     * every change made so far; at once when both hold.
     */
    public CompletionStage<Void> settled(String recordingId) {
        return completing.getOrDefault(recordingId, CompletableFuture.completedFuture(null)).thenCompose(v -> manifests.saved(recordingId));
    }

    /** Completes once the recording's manifest is saved with every change made so far. */
    public CompletionStage<Void> saved(String recordingId) {
        return manifests.saved(recordingId);
    }

    private static String open(Manifest m) {
        return m.renditions.entrySet().stream().filter(e -> !e.getValue().closed).map(Map.Entry::getKey).toList().toString();
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }

    /**
     * Writes a rendition's media playlist and the master. A rung's playlist is first written once its start is placed on
     * the source's segments ({@link #place}); the source's playlist places the rungs that waited for it.
     */
    private void publishPlaylists(Manifest m, String rendition) {
        Manifest.RenditionState r = m.renditions.get(rendition);
        if (place(m, rendition, r, false)) {
            put(StorageKeys.mediaPlaylist(m.recordingId, rendition), PlaylistWriter.media(r));
        } else {
            LOG.debugf("rendition %s: its playlist waits for the source's segments at its start", rendition);
        }
        if (SOURCE.equals(rendition)) {
            placeWaiting(m, false);
        }
        put(StorageKeys.master(m.recordingId), PlaylistWriter.master(m));
    }

    /**
     * Places what waits of the rungs on the source's timeline ({@code force}: on whatever the source has) and writes
     * their playlists.
     */
    private void placeWaiting(Manifest m, boolean force) {
        for (var e : m.renditions.entrySet()) {
            Manifest.RenditionState r = e.getValue();
            if ((r.unplaced > 0 || r.awaitingSourceEnd) && r.dropped == null && place(m, e.getKey(), r, force)) {
                put(StorageKeys.mediaPlaylist(m.recordingId, e.getKey()), PlaylistWriter.media(e.getValue()));
            }
        }
    }

    /**
     * Places a rung's new segments on the source's timeline, so that segment N of its playlist starts at the same media
     * time as the source's segment N. Where a segment does not continue what is placed (the rung's first, or the first
     * after a hole: a lost slice, a worker started again), the source's segments in between become {@code EXT-X-GAP}
     * segments. A segment that covers only a part of the source's segment there (it begins between two of the source's
     * starts, or ends more than a quarter short: its worker joined or died mid-segment) is left out, covered by the gap
     * of that segment, so that its next one starts with the source's (both cut at the first keyframe at or after the
     * same grid line). A rung that has closed
     * gets the source's segments after its end as gaps once the source has closed, and only then ends ({@code VOD}).
     * Each placement waits until the source's segments reach the rung's segment's end (or the source has closed, or
     * {@code force}), and happens before the playlist lists the segment: an EVENT playlist only grows at its end.
     * Returns whether the rendition's playlist can be written (the source's always can; a rung's once its start is placed).
     */
    private boolean place(Manifest m, String name, Manifest.RenditionState r, boolean force) {
        if (SOURCE.equals(name) || r.unplaced == 0 && !(r.closed && r.awaitingSourceEnd)) {
            return r.placedEndMillis != null || r.unplaced == 0;
        }
        Manifest.RenditionState source = m.renditions.get(SOURCE);
        List<Manifest.SegmentEntry> timeline = source == null || source.dropped != null ? List.of() : source.segments;
        // A source with nothing packaged yet may have no state: its segments are still to come.
        boolean sourceDone = force || source != null && (source.closed || source.dropped != null);
        boolean first = r.placedEndMillis == null;
        int gaps = 0;
        int skipped = 0;
        while (r.unplaced > 0) {
            int k = r.segments.size() - r.unplaced;
            Manifest.SegmentEntry own = r.segments.get(k);
            long t = own.start();
            long end = own.end();
            Manifest.SegmentEntry last = timeline.isEmpty() ? null : timeline.get(timeline.size() - 1);
            long sourceEnd = last == null ? Long.MIN_VALUE : last.end();
            if (!sourceDone && (sourceEnd < end - LATE_RUNG_MILLIS || sourceEnd <= t + LATE_RUNG_MILLIS)) {
                // The source's segments do not reach its end yet, or end where it begins (the source's segment it
                // starts in, and so whether it covers only a part of it, is not known yet).
                break;
            }
            int at = -1;
            for (int i = 0; i < timeline.size(); i++) {
                if (timeline.get(i).start() <= t + LATE_RUNG_MILLIS) {
                    at = i;
                }
            }
            if (r.placedEndMillis != null && t < r.placedEndMillis - LATE_RUNG_MILLIS) {
                // Behind what is placed: media of a time the source's timeline does not have (a hole in the source that
                // its timeline closed; see offset). The source's segments it would overlap become gaps where needed.
                r.skippedSegments.add(own.index);
                skipped++;
                r.unplaced--;
                continue;
            }
            long follows = k == 0 ? -1 : r.segments.get(k - 1).index;
            Manifest.SegmentEntry s = at < 0 ? null : timeline.get(at);
            long sEnd = s == null ? 0 : s.end();
            boolean onIt = s != null && Math.abs(t - s.start()) <= LATE_RUNG_MILLIS;
            // Its worker joined mid-segment, or stopped mid-segment (more than a quarter short of the source's): the
            // source's segment there is a gap instead.
            boolean part = s != null && (!onIt && t < sEnd || onIt && end < sEnd - Math.max(LATE_RUNG_MILLIS, s.durationMillis / 4));
            gaps += addGaps(r, timeline.subList(0, s == null ? 0 : part || !onIt ? at + 1 : at), follows);
            if (part) {
                r.skippedSegments.add(own.index);
                skipped++;
                r.placedEndMillis = sEnd;
            } else {
                r.placedEndMillis = end;
            }
            r.unplaced--;
        }
        if (r.unplaced == 0 && r.closed && r.awaitingSourceEnd && sourceDone) {
            gaps += addGaps(r, timeline, r.segments.isEmpty() ? -1 : r.segments.get(r.segments.size() - 1).index);
            r.awaitingSourceEnd = false;
        }
        if (first && r.placedEndMillis != null) {
            // Its playlist was not written yet: the target can still cover the source's segments it may list as gaps.
            r.targetDuration = Math.max(PlaylistWriter.targetDuration(r), source == null ? 0 : source.targetDuration);
        }
        if (gaps > 0 || skipped > 0) {
            LOG.infof("rendition %s placed on the source's timeline: %d of the source's segments as gaps, %d part%s of a segment left out",
                    name, gaps, skipped, skipped == 1 ? "" : "s");
        }
        return r.placedEndMillis != null || r.segments.isEmpty();
    }

    /**
     * Adds the segments of {@code sources} that begin at or after the end of what is placed of {@code r} as its gaps
     * after own segment {@code follows}; returns how many.
     */
    private static int addGaps(Manifest.RenditionState r, List<Manifest.SegmentEntry> sources, long follows) {
        long from = r.placedEndMillis == null ? Long.MIN_VALUE : r.placedEndMillis - LATE_RUNG_MILLIS;
        int n = 0;
        for (Manifest.SegmentEntry s : sources) {
            if (s.start() < from) {
                continue;
            }
            Manifest.SegmentEntry g = new Manifest.SegmentEntry();
            g.index = s.index;
            g.slice = s.slice;
            g.firstDtsMillis = s.firstDtsMillis;
            g.startMillis = s.startMillis;
            g.programDateTime = s.programDateTime;
            g.durationMillis = s.durationMillis;
            g.discontinuity = s.discontinuity;
            g.map = s.map;
            g.follows = follows;
            r.gapSegments.add(g);
            r.placedEndMillis = s.end();
            n++;
        }
        return n;
    }

    private void put(String key, String text) {
        put(key, text, PLAYLIST_TYPE);
    }

    private void put(String key, String text, String type) {
        store.putBytes(key, text.getBytes(StandardCharsets.UTF_8), type);
    }

    /**
     * Writes the manifest with the status it is about to be cataloged with (a final status at once, LIVE at the manifest's
     * bounded rate), then the catalog entry.
     */
    private void publish(Manifest m, CatalogEntry.Status status, String message) {
        CatalogEntry e = entry(m, status, message);
        if (status == CatalogEntry.Status.LIVE) {
            // The manifest follows at its bounded rate; the event is acknowledged once it is saved.
            manifests.changed(m);
        } else {
            manifests.saveNow(m);
        }
        catalog.publish(e);
    }

    CatalogEntry entry(Manifest m, CatalogEntry.Status status, String message) {
        var variants = PlaylistWriter.variants(m);
        long duration = m.renditions.containsKey("source") ? m.renditions.get("source").durationMillis()
                : variants.stream().mapToLong(PlaylistWriter.Variant::durationMillis).max().orElse(0);
        var renditions = variants.stream().map(v -> new CatalogEntry.Rendition(v.name(), StorageKeys.mediaPlaylist(m.recordingId, v.name()),
                v.width(), v.height(), v.frameRate(), v.bandwidth(), v.averageBandwidth(), v.codecs(), v.segments(), v.durationMillis()))
                .toList();
        String problem = message != null ? message
                : m.renditions.values().stream().flatMap(r -> Stream.of(r.problem, r.dropped)).filter(p -> p != null)
                        .reduce((a, b) -> a + "; " + b).orElse(null);
        m.status = status.name();
        m.message = problem;
        Instant now = clock.instant();
        m.catalogVersion = Math.max(m.catalogVersion + 1, now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000);
        long bytes = m.renditions.values().stream().flatMap(r -> r.listedSegments().stream()).mapToLong(s -> s.bytes).sum();
        Manifest.RenditionState source = m.renditions.get("source");
        int gaps = source == null ? 0 : source.gaps.size();
        int discontinuities = source == null ? 0 : (int) source.listedSegments().stream().filter(s -> s.discontinuity).count();
        return new CatalogEntry(m.recordingId, m.streamKey, m.app, m.stream, status, m.startedAt,
                status == CatalogEntry.Status.LIVE ? null : m.endedAt, duration,
                renditions.isEmpty() ? null : StorageKeys.master(m.recordingId), renditions, problem, now,
                StorageKeys.manifest(m.recordingId), m.poster, m.thumbnailTrack, bytes, gaps, discontinuities, m.catalogVersion);
    }

    /** A new manifest; the first slice was stored when it ended, so the recording began one slice earlier. */
    private Manifest create(SliceStored slice) {
        return newManifest(slice.recordingId(), slice.streamKey(), slice.storedAt().minusMillis(slice.durationMillis()));
    }

    private Manifest createEmpty(RecordingClosed closed) {
        return newManifest(closed.recordingId(), closed.streamKey(), closed.closedAt());
    }

    private Manifest newManifest(String recordingId, String streamKey, java.time.Instant startedAt) {
        Manifest m = new Manifest();
        m.segmentFormat = config.segmentFormat();
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
        if (rendition != null) {
            MDC.put("rendition", rendition);
        }
        if (streamKey != null) {
            MDC.put("streamKey", streamKey);
        }
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
