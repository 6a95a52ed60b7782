package dev.tapedeck.packager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.EventCodec;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.packager.hls.Manifest;
import dev.tapedeck.testkit.FlvTags;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
class PackagerIT extends PackagerTestSupport {
    /**
     * Slice 0 of the source (640x360) and slices 0 … {@code rungSlices - 1} of the rung 180p (320x180), {@code seconds}
     * long each, in the bucket under {@code id}; returns the slice length in ms.
     */
    long sourceAndRung(String id, int seconds, int rungSlices) throws Exception {
        Path source = Files.createTempFile("source", ".flv");
        Path rung = Files.createTempFile("rung", ".flv");
        MediaTools.makeFlv(source, 640, 360, 30, seconds);
        MediaTools.makeFlv(rung, 320, 180, 30, seconds);
        store.putFile(StorageKeys.slice(KEY, id, "source", 0), source, "video/x-flv");
        for (int seq = 0; seq < rungSlices; seq++) {
            store.putFile(StorageKeys.slice(KEY, id, "180p", seq), rung, "video/x-flv");
        }
        return Math.round(MediaTools.duration(source.toString()) * 1000);
    }

    @Test
    void anAnnouncedRungKeepsTheReplayLiveUntilItIsClosedThenTheMasterListsBoth() throws Exception {
        String id = Ids.uuid7();
        long ms = sourceAndRung(id, 4, 1);

        send(Topics.STREAMS, KEY.toString(), published(id, false, "source"));
        send(Topics.STREAMS, KEY.toString(), published(id, true, "180p"));
        send(Topics.sliceKey(id, "source"), slice(id, 0, StorageKeys.slice(KEY, id, "source", 0), 0, ms));
        send(Topics.sliceKey(id, "source"), new RecordingClosed(id, KEY.toString(), "source", 0, 1, ms,
                RecordingClosed.Reason.UNPUBLISHED, null, Instant.now()));
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            // The source's close is packaged into a catalog entry that is still LIVE: 180p is not closed yet.
            vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                    && c.renditions() != null && c.renditions().size() == 1, Duration.ofSeconds(60));

            send(Topics.sliceKey(id, "180p"), slice(id, "180p", 0, StorageKeys.slice(KEY, id, "180p", 0), 0, ms));
            send(Topics.sliceKey(id, "180p"), new RecordingClosed(id, KEY.toString(), "180p", 0, 1, ms,
                    RecordingClosed.Reason.END_OF_INPUT, null, Instant.now()));
            CatalogEntry ready = (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id) && c.status() == CatalogEntry.Status.READY, Duration.ofSeconds(60)).value().data();
            assertThat(ready.renditions()).extracting(CatalogEntry.Rendition::name).containsExactly("source", "180p");
            // Entries of one recording are in order: the first READY is the one written after 180p closed.
            assertThat(vods.seen()).filteredOn(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id) && c.status() == CatalogEntry.Status.READY).first()
                    .satisfies(r -> assertThat(((CatalogEntry) r.value().data()).renditions()).hasSize(2));
        }
        String master = new String(store.getBytes(StorageKeys.master(id)).orElseThrow(), StandardCharsets.UTF_8);
        assertThat(master).contains("RESOLUTION=640x360").contains("RESOLUTION=320x180").contains("source/index.m3u8")
                .contains("180p/index.m3u8");
    }

    @Test
    void aRungWhoseWorkerJoinedLateIsCountedAndReportedInTheManifest() throws Exception {
        String id = Ids.uuid7();
        Path source = Files.createTempFile("source", ".flv");
        Path whole = Files.createTempFile("rung", ".flv");
        Path late = Files.createTempFile("late-rung", ".flv");
        // 8 s: segments 0-6 s and 6-8 s; the rung's part of the first is left out (a gap), the second is its own.
        MediaTools.makeFlv(source, 640, 360, 30, 8);
        MediaTools.makeFlv(whole, 320, 180, 30, 8);
        // The rung's worker joined 2 s in: its first frame is the source's keyframe at 2 s (sequence headers first).
        List<FlvTags.Tag> tags = FlvTags.read(whole);
        List<FlvTags.Tag> joined = new java.util.ArrayList<>(FlvTags.media(tags, t -> 2_000).stream()
                .filter(t -> t.data()[1] == 0).toList());
        joined.addAll(FlvTags.media(tags, t -> t).stream().filter(t -> t.data()[1] != 0 && t.timestamp() >= 2_000).toList());
        FlvTags.write(late, joined);
        store.putFile(StorageKeys.slice(KEY, id, "source", 0), source, "video/x-flv");
        store.putFile(StorageKeys.slice(KEY, id, "180p", 0), late, "video/x-flv");
        long ms = Math.round(MediaTools.duration(source.toString()) * 1000);

        send(Topics.STREAMS, KEY.toString(), published(id, false, "source"));
        send(Topics.STREAMS, KEY.toString(), published(id, true, "180p"));
        send(Topics.sliceKey(id, "source"), slice(id, 0, StorageKeys.slice(KEY, id, "source", 0), 0, ms));
        send(Topics.sliceKey(id, "180p"), slice(id, "180p", 0, StorageKeys.slice(KEY, id, "180p", 0), 2_000, ms - 2_000));
        send(Topics.sliceKey(id, "180p"), new RecordingClosed(id, KEY.toString(), "180p", 0, 1, ms - 2_000,
                RecordingClosed.Reason.END_OF_INPUT, null, Instant.now()));
        send(Topics.sliceKey(id, "source"), new RecordingClosed(id, KEY.toString(), "source", 0, 1, ms,
                RecordingClosed.Reason.UNPUBLISHED, null, Instant.now()));
        CatalogEntry ready = awaitComplete(id);
        assertThat(ready.status()).isEqualTo(CatalogEntry.Status.READY);
        assertThat(ready.renditions()).extracting(CatalogEntry.Rendition::name).containsExactly("source", "180p");
        Manifest m = EventCodec.mapper().readValue(store.getBytes(StorageKeys.manifest(id)).orElseThrow(), Manifest.class);
        assertThat(m.renditions.get("180p").startsAfterSourceMillis).as("the rung starts 2 s after its source").isBetween(1_950L, 2_050L);
        assertThat(m.renditions.get("source").startsAfterSourceMillis).isNull();
    }

    @Test
    void aSourceWithBFramesAndARungWithoutThemShareOneTimelineByPresentationTime(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        String id = Ids.uuid7();
        // x264's defaults: the source's keyframes decode two frames before they are shown (PTS 67 ms, DTS 0 at the start);
        // the rung, made as the transcoder makes it, has no B-frames and the source's PTS, so its DTS are 67 ms later.
        MediaTools.makeFlv(dir.resolve("source.flv"), 640, 360, "30", 24, MediaTools.Encoder.X264_DEFAULTS);
        MediaTools.makeRung(dir.resolve("source.flv"), dir.resolve("rung.flv"), 320, 180);
        for (String rendition : List.of("source", "180p")) {
            List<FlvTags.Tag> tags = FlvTags.read(dir.resolve((rendition.equals("source") ? "source" : "rung") + ".flv"));
            // As the recorder measures a slice: in decode time, to the end of its last frame.
            long end = tags.stream().filter(t -> t.type() == FlvTags.VIDEO).mapToLong(FlvTags.Tag::timestamp).max().orElseThrow() + 33;
            long[] cuts = {keyframeDtsAtOrAfter(tags, 0), keyframeDtsAtOrAfter(tags, 12_000), end + 200};
            assertThat(cuts[0]).as("%s: first keyframe's DTS", rendition).isEqualTo(rendition.equals("source") ? 0 : 67);
            send(Topics.STREAMS, KEY.toString(), published(id, !rendition.equals("source"), rendition));
            for (int seq = 0; seq < 2; seq++) {
                Path file = dir.resolve(rendition + seq + ".flv");
                FlvTags.write(file, cut(tags, cuts[seq], cuts[seq + 1]));
                store.putFile(StorageKeys.slice(KEY, id, rendition, seq), file, "video/x-flv");
                long duration = Math.min(cuts[seq + 1], end) - cuts[seq];
                send(Topics.sliceKey(id, rendition), slice(id, rendition, seq, StorageKeys.slice(KEY, id, rendition, seq), cuts[seq], duration));
            }
            send(Topics.sliceKey(id, rendition), new RecordingClosed(id, KEY.toString(), rendition, 1, 2, end - cuts[0],
                    RecordingClosed.Reason.UNPUBLISHED, null, Instant.now()));
        }
        CatalogEntry ready = awaitComplete(id);
        assertThat(ready.status()).isEqualTo(CatalogEntry.Status.READY);
        assertThat(ready.renditions()).extracting(CatalogEntry.Rendition::name).containsExactly("source", "180p");
        String master = new String(store.getBytes(StorageKeys.master(id)).orElseThrow(), StandardCharsets.UTF_8);
        assertThat(master).contains("source/index.m3u8").contains("180p/index.m3u8");
        var parser = new io.lindstrom.m3u8.parser.MediaPlaylistParser();
        var sourceList = parser.readPlaylist(new String(store.getBytes(StorageKeys.mediaPlaylist(id, "source")).orElseThrow(),
                StandardCharsets.UTF_8)).mediaSegments();
        var rungList = parser.readPlaylist(new String(store.getBytes(StorageKeys.mediaPlaylist(id, "180p")).orElseThrow(),
                StandardCharsets.UTF_8)).mediaSegments();
        assertThat(sourceList).hasSize(4);
        assertThat(rungList).as("no gap where the source has media").hasSameSizeAs(sourceList)
                .allSatisfy(seg -> assertThat(seg.gap()).isFalse());
        for (int n = 0; n < sourceList.size(); n++) {
            String rungSegment = StorageKeys.mediaPlaylist(id, "180p").replace("index.m3u8", rungList.get(n).uri());
            String sourceSegment = StorageKeys.mediaPlaylist(id, "source").replace("index.m3u8", sourceList.get(n).uri());
            assertThat(videoStart(dir, rungSegment)).as("presentation time of segment %d", n)
                    .isCloseTo(videoStart(dir, sourceSegment), org.assertj.core.data.Offset.offset(1 / 30.0 + 0.001));
            assertThat(rungList.get(n).duration()).as("duration of segment %d", n)
                    .isCloseTo(sourceList.get(n).duration(), org.assertj.core.data.Offset.offset(1 / 30.0 + 0.001));
        }
        Manifest m = EventCodec.mapper().readValue(store.getBytes(StorageKeys.manifest(id)).orElseThrow(), Manifest.class);
        assertThat(m.renditions.get("180p").startsAfterSourceMillis).as("a rung with less decode delay is not late").isNull();
        assertThat(m.renditions.get("180p").gapSegments).isEmpty();
        assertThat(m.renditions.get("180p").skippedSegments).isEmpty();
        assertThat(m.renditions.get("source").segments.get(0).startMillis).as("the source's first keyframe is shown at 67 ms")
                .isBetween(60L, 70L);
    }

    /** At 30 fps and 640x360, and at 29.97 fps and an odd size (the moved slices' timestamps are not whole frames). */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}x{1} at {2} fps")
    @org.junit.jupiter.params.provider.CsvSource({"640,360,30", "1002,564,30000/1001"})
    void aSourceWhoseTimestampsStartOverContinuesTheTimelineAndItsRungsMoveWithIt(int width, int height, String fps,
            @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // As a publisher back within the reconnect window gives: the second part's timestamps start at 0 again.
        continuesTheTimelineAfterADiscontinuity(dir, 0, width, height, fps);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}x{1} at {2} fps")
    @org.junit.jupiter.params.provider.CsvSource({"640,360,30", "1002,564,30000/1001"})
    void aSourceWhoseTimestampsJumpAheadContinuesTheTimelineAndItsRungsMoveWithIt(int width, int height, String fps,
            @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // As a recorder killed with both renditions gives: 15 s lost, the second part's timestamps 15 s after the first's
        // end. FFmpeg's reader rebases a jump of 10 s or more onto the DTS it expected next and then repeats DTS.
        continuesTheTimelineAfterADiscontinuity(dir, 27_000, width, height, fps);
    }

    /**
     * Two parts of 12 s and 8 s, the second 20 s later by the wall clock, its timestamps from {@code secondPartMillis} on.
     * x264's defaults (B-frames) at {@code fps} (FFmpeg's notation); each rung made from its part as the transcoder makes one.
     */
    private void continuesTheTimelineAfterADiscontinuity(Path dir, long secondPartMillis, int width, int height, String fps)
            throws Exception {
        String[] rate = fps.split("/");
        double frameMillis = rate.length == 2 ? 1000.0 * Double.parseDouble(rate[1]) / Double.parseDouble(rate[0])
                : 1000.0 / Double.parseDouble(fps);
        long frame = Math.round(frameMillis);
        String id = Ids.uuid7();
        Instant t0 = Instant.now().minusSeconds(60);
        double[] seconds = {12, 8};
        long partOneShown = 0;
        List<List<SliceStored>> bySource = new java.util.ArrayList<>();
        for (String rendition : List.of("source", "180p")) {
            List<SliceStored> events = new java.util.ArrayList<>();
            long seq = 0;
            for (int part = 0; part < 2; part++) {
                Path made = dir.resolve("part" + part + ".flv");
                if (rendition.equals("source")) {
                    MediaTools.makeFlv(made, width, height, fps, seconds[part], MediaTools.Encoder.X264_DEFAULTS);
                    if (part == 0) {
                        // Killed, not ended: its last picture is a P-frame shown 5 frames after it is decoded, whose
                        // B-frames never came. The next part must begin after that picture, not after its decode time.
                        List<FlvTags.Tag> all = FlvTags.read(made);
                        int lastP = 0;
                        for (int i = 0; i < all.size(); i++) {
                            if (all.get(i).compositionTime() >= 150) {
                                lastP = i;
                            }
                        }
                        FlvTags.write(made, all.subList(0, lastP + 1));
                        List<FlvTags.Tag> kept = FlvTags.read(made);
                        partOneShown = kept.stream().filter(t -> t.type() == FlvTags.VIDEO)
                                .mapToLong(t -> t.timestamp() + t.compositionTime()).max().orElseThrow() + frame;
                    }
                }
                Path file = rendition.equals("source") ? made : dir.resolve("rung" + part + ".flv");
                if (!rendition.equals("source")) {
                    MediaTools.makeRung(made, file, 320, 180);
                }
                List<FlvTags.Tag> tags = FlvTags.read(file);
                if (part == 1 && secondPartMillis > 0) {
                    tags = FlvTags.media(tags, t -> t + secondPartMillis);
                }
                long end = tags.stream().filter(t -> t.type() == FlvTags.VIDEO).mapToLong(FlvTags.Tag::timestamp).max().orElseThrow() + frame;
                long[] cuts = part == 0 ? new long[] {keyframeDtsAtOrAfter(tags, 0), keyframeDtsAtOrAfter(tags, 6_000), end + 200}
                        : new long[] {keyframeDtsAtOrAfter(tags, 0), end + 200};
                for (int k = 0; k + 1 < cuts.length; k++, seq++) {
                    Path slice = dir.resolve(rendition + seq + ".flv");
                    FlvTags.write(slice, cut(tags, cuts[k], cuts[k + 1]));
                    String key = StorageKeys.slice(KEY, id, rendition, seq);
                    store.putFile(key, slice, "video/x-flv");
                    long duration = Math.min(cuts[k + 1], end) - cuts[k];
                    // The rung's recorder hears each part a little after the source's.
                    Instant at = t0.plusSeconds(part * 20L).plusMillis(cuts[k] + (rendition.equals("source") ? 0 : 300));
                    events.add(new SliceStored(id, id, KEY.toString(), rendition, seq, key, cuts[k], cuts[k] + duration - frame, duration,
                            Files.size(slice), dev.tapedeck.storage.Sha256.of(slice), 4, part == 1 && k == 0, 0, Instant.now(), null, at));
                }
            }
            bySource.add(events);
        }
        send(Topics.STREAMS, KEY.toString(), published(id, false, "source"));
        send(Topics.STREAMS, KEY.toString(), published(id, true, "180p"));
        // The rung's second part comes before the source's: it waits for the source's part of its time.
        List<SliceStored> source = bySource.get(0);
        List<SliceStored> rung = bySource.get(1);
        for (SliceStored e : rung) {
            send(Topics.sliceKey(id, "180p"), e);
        }
        for (SliceStored e : source) {
            send(Topics.sliceKey(id, "source"), e);
        }
        for (List<SliceStored> events : bySource) {
            SliceStored last = events.get(events.size() - 1);
            send(Topics.sliceKey(id, last.rendition()), new RecordingClosed(id, KEY.toString(), last.rendition(), last.seq(),
                    events.size(), 20_000, RecordingClosed.Reason.UNPUBLISHED, null, Instant.now()));
        }
        CatalogEntry ready = awaitComplete(id);
        assertThat(ready.status()).as(ready.message()).isEqualTo(CatalogEntry.Status.READY);
        assertThat(ready.renditions()).extracting(CatalogEntry.Rendition::name).containsExactly("source", "180p");
        // The source's nominal rate in both renditions, whatever the gap between the parts and the audio after the last picture.
        assertThat(ready.renditions()).extracting(CatalogEntry.Rendition::frameRate).as("FRAME-RATE")
                .containsOnly(Math.round(1_000_000 / frameMillis) / 1000.0);
        var parser = new io.lindstrom.m3u8.parser.MediaPlaylistParser();
        java.util.Map<String, List<Double>> starts = new java.util.LinkedHashMap<>();
        for (String rendition : List.of("source", "180p")) {
            String text = new String(store.getBytes(StorageKeys.mediaPlaylist(id, rendition)).orElseThrow(), StandardCharsets.UTF_8);
            assertThat(text).as(rendition).contains("#EXT-X-DISCONTINUITY").doesNotContain("#EXT-X-GAP");
            // The playlist and its segments on disk, read through the playlist as a player reads it.
            Path local = Files.createDirectories(dir.resolve("vod-" + rendition));
            Files.writeString(local.resolve("index.m3u8"), text);
            List<Double> times = new java.util.ArrayList<>();
            for (var seg : parser.readPlaylist(text).mediaSegments()) {
                String key = StorageKeys.mediaPlaylist(id, rendition).replace("index.m3u8", seg.uri());
                store.download(key, local.resolve(seg.uri()));
                times.add(videoStart(dir, key));
            }
            assertThat(MediaTools.decodeErrors(local.resolve("index.m3u8").toString())).as("%s read whole through its playlist", rendition)
                    .isEmpty();
            for (int n = 1; n < times.size(); n++) {
                assertThat(times.get(n)).as("%s segment %d starts after segment %d", rendition, n, n - 1).isGreaterThan(times.get(n - 1));
            }
            starts.put(rendition, times);
        }
        List<Double> sourceStarts = starts.get("source");
        // 6 s segments: two of the first part (11.8 s), two of the second (8 s), which is cut on the grid of its own
        // timestamps (where the recorder cuts slices), not on the moved timeline's, which would split a short one off.
        assertThat(sourceStarts).as("two segments of the first part, two of the second").hasSize(4);
        assertThat(sourceStarts.get(2)).as("the second part begins after the first's last picture and its B-frames' delay")
                .isCloseTo((partOneShown + 2 * frameMillis) / 1000.0, org.assertj.core.data.Offset.offset(0.002));
        assertThat(starts.get("180p")).hasSameSizeAs(sourceStarts);
        for (int n = 0; n < sourceStarts.size(); n++) {
            assertThat(starts.get("180p").get(n)).as("segment %d starts at the same time in both", n)
                    .isCloseTo(sourceStarts.get(n), org.assertj.core.data.Offset.offset(frameMillis / 1000 + 0.001));
        }
        Manifest m = EventCodec.mapper().readValue(store.getBytes(StorageKeys.manifest(id)).orElseThrow(), Manifest.class);
        assertThat(m.shifts).singleElement().satisfies(sh -> assertThat(sh.sourceSeq).isEqualTo(2));
    }

    /**
     * Only the source has a hole (its recorder died alone: 8 s of it lost, its timestamps jump ahead there) while its
     * rung, recorded by another replica, has media throughout. The source's timeline closes the hole; the rung's media of
     * that time has no place on it and is left out, so after the hole segment N still starts at the same time in both.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "{0}x{1} at {2} fps")
    @org.junit.jupiter.params.provider.CsvSource({"640,360,30", "1002,564,30000/1001"})
    void aRungWithMediaWhereOnlyTheSourceHasAHoleStaysOnTheSourcesTimeline(int width, int height, String fps,
            @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String id = Ids.uuid7();
        Instant t0 = Instant.now().minusSeconds(60);
        Path whole = dir.resolve("whole.flv");
        MediaTools.makeFlv(whole, width, height, fps, 28, MediaTools.Encoder.X264_DEFAULTS);
        MediaTools.makeRung(whole, dir.resolve("rung.flv"), 320, 180);
        List<FlvTags.Tag> sourceTags = FlvTags.read(whole);
        List<FlvTags.Tag> rungTags = FlvTags.read(dir.resolve("rung.flv"));
        long sourceEnd = sourceTags.stream().filter(t -> t.type() == FlvTags.VIDEO).mapToLong(FlvTags.Tag::timestamp).max().orElseThrow() + 33;
        long rungEnd = rungTags.stream().filter(t -> t.type() == FlvTags.VIDEO).mapToLong(FlvTags.Tag::timestamp).max().orElseThrow() + 33;
        // The source: 0-6, 6-12, then (lost 12-20) 20-24 and 24-28, the first after the hole marked. The rung: every 6 s.
        long[][] sourceCuts = {{0, 6_000}, {6_000, 12_000}, {20_000, 24_000}, {24_000, -1}};
        long[][] rungCuts = {{0, 6_000}, {6_000, 12_000}, {12_000, 18_000}, {18_000, 24_000}, {24_000, -1}};
        send(Topics.STREAMS, KEY.toString(), published(id, false, "source"));
        send(Topics.STREAMS, KEY.toString(), published(id, true, "180p"));
        for (String rendition : List.of("180p", "source")) {
            boolean src = rendition.equals("source");
            List<FlvTags.Tag> tags = src ? sourceTags : rungTags;
            long[][] cuts = src ? sourceCuts : rungCuts;
            long end = src ? sourceEnd : rungEnd;
            for (int seq = 0; seq < cuts.length; seq++) {
                long from = keyframeDtsAtOrAfter(tags, cuts[seq][0]);
                long to = cuts[seq][1] < 0 ? end + 200 : keyframeDtsAtOrAfter(tags, cuts[seq][1]);
                Path slice = dir.resolve(rendition + seq + ".flv");
                FlvTags.write(slice, cut(tags, from, to));
                String key = StorageKeys.slice(KEY, id, rendition, seq);
                store.putFile(key, slice, "video/x-flv");
                long duration = Math.min(to, end) - from;
                Instant at = t0.plusMillis(from + (src ? 0 : 300));
                send(Topics.sliceKey(id, rendition), new SliceStored(id, id, KEY.toString(), rendition, seq, key, from, from + duration - 33,
                        duration, Files.size(slice), dev.tapedeck.storage.Sha256.of(slice), 4, src && seq == 2, 0, Instant.now(), null, at));
            }
            send(Topics.sliceKey(id, rendition), new RecordingClosed(id, KEY.toString(), rendition, cuts.length - 1, cuts.length,
                    end, RecordingClosed.Reason.UNPUBLISHED, null, Instant.now()));
        }
        CatalogEntry ready = awaitComplete(id);
        assertThat(ready.renditions()).extracting(CatalogEntry.Rendition::name).containsExactly("source", "180p");
        var parser = new io.lindstrom.m3u8.parser.MediaPlaylistParser();
        java.util.Map<String, List<io.lindstrom.m3u8.model.MediaSegment>> lists = new java.util.LinkedHashMap<>();
        Path local = Files.createDirectories(dir.resolve("vod"));
        for (String rendition : List.of("source", "180p")) {
            String text = new String(store.getBytes(StorageKeys.mediaPlaylist(id, rendition)).orElseThrow(), StandardCharsets.UTF_8);
            Path playlist = Files.createDirectories(local.resolve(rendition)).resolve("index.m3u8");
            Files.writeString(playlist, text);
            List<io.lindstrom.m3u8.model.MediaSegment> segments = parser.readPlaylist(text).mediaSegments();
            for (var seg : segments) {
                Path file = playlist.getParent().resolve(seg.uri()).normalize();
                String key = StorageKeys.mediaPlaylist(id, "x").replace("x/index.m3u8", local.relativize(file).toString().replace('\\', '/'));
                store.download(key, file);
            }
            lists.put(rendition, segments);
        }
        for (String rendition : List.of("source", "180p")) {
            assertThat(MediaTools.decodeErrors(local.resolve(rendition).resolve("index.m3u8").toString()))
                    .as("%s read whole through its playlist", rendition).isEmpty();
        }
        List<io.lindstrom.m3u8.model.MediaSegment> source = lists.get("source");
        List<io.lindstrom.m3u8.model.MediaSegment> rung = lists.get("180p");
        assertThat(source).as("two segments before the hole, two after").hasSize(4);
        assertThat(rung).as("the rung has the source's segments, its own or gaps").hasSameSizeAs(source);
        double sourceAt = 0;
        double rungAt = 0;
        int own = 0;
        for (int n = 0; n < source.size(); n++) {
            assertThat(rungAt).as("cumulative time at segment %d", n).isCloseTo(sourceAt, org.assertj.core.data.Offset.offset(0.034));
            if (!rung.get(n).gap()) {
                own++;
                double sourceStart = videoStart(dir, StorageKeys.mediaPlaylist(id, "source").replace("index.m3u8", source.get(n).uri()));
                double rungStart = videoStart(dir, StorageKeys.mediaPlaylist(id, "180p").replace("index.m3u8", rung.get(n).uri()));
                assertThat(rungStart).as("the rung's segment %d starts where the source's does: %s %s", n, source, rung)
                        .isCloseTo(sourceStart, org.assertj.core.data.Offset.offset(1 / 30.0 + 0.001));
            }
            sourceAt += source.get(n).duration();
            rungAt += rung.get(n).duration();
        }
        assertThat(own).as("the rung's own segments: both before the hole and the last after it").isGreaterThanOrEqualTo(3);
        assertThat(rung.stream().map(io.lindstrom.m3u8.model.MediaSegment::discontinuity).toList())
                .as("the rung's discontinuities are the source's").isEqualTo(source.stream().map(io.lindstrom.m3u8.model.MediaSegment::discontinuity).toList())
                .contains(true);
    }

    @Test
    void aRungThatStartsLateHasAHoleAndEndsEarlyIsPlacedOnTheSourcesTimelineSoThatSegmentNStartsAtTheSameTimeInEveryRendition()
            throws Exception {
        String id = Ids.uuid7();
        Path dir = Files.createTempDirectory("late-rung");
        MediaTools.makeFlv(dir.resolve("source.flv"), 640, 360, 30, 36);
        MediaTools.makeFlv(dir.resolve("rung.flv"), 320, 180, 30, 36);
        List<FlvTags.Tag> source = FlvTags.read(dir.resolve("source.flv"));
        List<FlvTags.Tag> rung = FlvTags.read(dir.resolve("rung.flv"));
        // Three 12 s slices of the source. The rung's worker joined 3 s in (its first frame is the source's keyframe at
        // 3 s), was started again at 15 s after a failure at 12 s, and ended at 24 s: two slices, 3-12 s and 15-24 s.
        long[][] cuts = {{0, 12_000}, {12_000, 24_000}, {24_000, 60_000}};
        long[][] rungCuts = {{3_000, 12_000}, {15_000, 24_000}};
        for (int seq = 0; seq < 3; seq++) {
            FlvTags.write(dir.resolve("source" + seq + ".flv"), cut(source, cuts[seq][0], cuts[seq][1]));
            store.putFile(StorageKeys.slice(KEY, id, "source", seq), dir.resolve("source" + seq + ".flv"), "video/x-flv");
        }
        for (int seq = 0; seq < 2; seq++) {
            FlvTags.write(dir.resolve("rung" + seq + ".flv"), cut(rung, rungCuts[seq][0], rungCuts[seq][1]));
            store.putFile(StorageKeys.slice(KEY, id, "180p", seq), dir.resolve("rung" + seq + ".flv"), "video/x-flv");
        }
        long ms = Math.round(MediaTools.duration(dir.resolve("source.flv").toString()) * 1000);

        send(Topics.STREAMS, KEY.toString(), published(id, false, "source"));
        send(Topics.STREAMS, KEY.toString(), published(id, true, "180p"));
        // The rung's slices come first: its playlist has to wait for the source's segments at its start.
        send(Topics.sliceKey(id, "180p"), slice(id, "180p", 0, StorageKeys.slice(KEY, id, "180p", 0), 3_000, 9_000));
        send(Topics.sliceKey(id, "180p"), slice(id, "180p", 1, StorageKeys.slice(KEY, id, "180p", 1), 15_000, 9_000));
        send(Topics.sliceKey(id, "180p"), new RecordingClosed(id, KEY.toString(), "180p", 1, 2, 21_000,
                RecordingClosed.Reason.UNPUBLISHED, null, Instant.now()));
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            // The rung's two slices and its close are handled (an entry each) before the source has anything; its close
            // does not complete the replay, the source is expected.
            java.util.function.Predicate<org.apache.kafka.clients.consumer.ConsumerRecord<String, CloudEvent<?>>> entry = r -> r.value() != null
                    && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id);
            vods.await(r -> vods.seen().stream().filter(entry).count() >= 3, Duration.ofSeconds(60));
            assertThat(vods.seen()).filteredOn(entry).extracting(r -> ((CatalogEntry) r.value().data()).status())
                    .containsOnly(CatalogEntry.Status.LIVE);
        }
        for (int seq = 0; seq < 3; seq++) {
            send(Topics.sliceKey(id, "source"), slice(id, seq, StorageKeys.slice(KEY, id, "source", seq), cuts[seq][0],
                    Math.min(cuts[seq][1], ms) - cuts[seq][0]));
        }
        send(Topics.sliceKey(id, "source"), new RecordingClosed(id, KEY.toString(), "source", 2, 3, ms,
                RecordingClosed.Reason.UNPUBLISHED, null, Instant.now()));
        CatalogEntry ready = awaitComplete(id);
        assertThat(ready.status()).isEqualTo(CatalogEntry.Status.READY);
        assertThat(ready.renditions()).extracting(CatalogEntry.Rendition::name).containsExactly("source", "180p");
        var parser = new io.lindstrom.m3u8.parser.MediaPlaylistParser();
        var sourceList = parser.readPlaylist(new String(store.getBytes(StorageKeys.mediaPlaylist(id, "source")).orElseThrow(),
                StandardCharsets.UTF_8)).mediaSegments();
        var rungList = parser.readPlaylist(new String(store.getBytes(StorageKeys.mediaPlaylist(id, "180p")).orElseThrow(),
                StandardCharsets.UTF_8)).mediaSegments();
        assertThat(sourceList).hasSize(6);
        // 0-6 s and 12-18 s: the source's segments as gaps (the rung's own 3-6 s and 15-18 s are parts of segments, left
        // out); 24-36 s: the source's segments after the rung's end.
        assertThat(rungList).extracting(io.lindstrom.m3u8.model.MediaSegment::gap).containsExactly(true, false, true, false, true, true);
        assertThat(rungList.get(0).uri()).isEqualTo("../source/" + sourceList.get(0).uri());
        assertThat(rungList.get(5).uri()).isEqualTo("../source/" + sourceList.get(5).uri());
        double sourceAt = 0;
        double rungAt = 0;
        for (int n = 0; n < sourceList.size(); n++) {
            assertThat(rungAt).as("cumulative time at segment %d", n).isCloseTo(sourceAt, org.assertj.core.data.Offset.offset(0.034));
            if (!rungList.get(n).gap()) {
                String rungSegment = StorageKeys.mediaPlaylist(id, "180p").replace("index.m3u8", rungList.get(n).uri());
                String sourceSegment = StorageKeys.mediaPlaylist(id, "source").replace("index.m3u8", sourceList.get(n).uri());
                assertThat(videoStart(dir, rungSegment)).as("media time of segment %d", n)
                        .isCloseTo(videoStart(dir, sourceSegment), org.assertj.core.data.Offset.offset(1 / 30.0 + 0.001));
            }
            sourceAt += sourceList.get(n).duration();
            rungAt += rungList.get(n).duration();
        }
        Manifest m = EventCodec.mapper().readValue(store.getBytes(StorageKeys.manifest(id)).orElseThrow(), Manifest.class);
        assertThat(m.renditions.get("180p").gapSegments).extracting(g -> g.index).containsExactly(0L, 2L, 4L, 5L);
        assertThat(m.renditions.get("180p").skippedSegments).hasSize(2);
        assertThat(m.renditions.get("180p").startsAfterSourceMillis).isBetween(2_950L, 3_050L);
    }

    /** The first video frame's presentation time of a stored segment, in seconds. */
    double videoStart(Path dir, String key) throws Exception {
        Path file = dir.resolve(key.replace('/', '_'));
        store.download(key, file);
        return Double.parseDouble(MediaTools.probe(file.toString(), "-select_streams", "v:0", "-show_entries", "stream=start_time").get(0));
    }

    @Test
    void aRungThatNeverClosesIsLeftOutAfterTheTimeoutAndTheReplayNeverGoesBackToLive() throws Exception {
        String id = Ids.uuid7();
        long ms = sourceAndRung(id, 2, 2);
        RecordingClosed sourceEnd = new RecordingClosed(id, KEY.toString(), "source", 0, 1, ms, RecordingClosed.Reason.UNPUBLISHED, null,
                Instant.now());

        send(Topics.STREAMS, KEY.toString(), published(id, false, "source"));
        send(Topics.STREAMS, KEY.toString(), published(id, true, "180p"));
        send(Topics.sliceKey(id, "180p"), slice(id, "180p", 0, StorageKeys.slice(KEY, id, "180p", 0), 0, ms));
        send(Topics.sliceKey(id, "source"), slice(id, 0, StorageKeys.slice(KEY, id, "source", 0), 0, ms));
        send(Topics.sliceKey(id, "source"), sourceEnd);
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            // The worker of 180p died: its rendition never closes. The replay is complete without it after the timeout.
            CatalogEntry ready = (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id) && c.status() != CatalogEntry.Status.LIVE, Duration.ofSeconds(60)).value().data();
            assertThat(ready.status()).isEqualTo(CatalogEntry.Status.READY);
            assertThat(ready.renditions()).extracting(CatalogEntry.Rendition::name).containsExactly("source");
            assertThat(ready.message()).contains("180p is left out").contains("did not close within");
            assertThat(Duration.between(sourceEnd.closedAt(), ready.updatedAt())).isGreaterThanOrEqualTo(Duration.ofSeconds(5));

            // A late slice of the left-out rung, then the source's close delivered again: nothing goes back to LIVE.
            send(Topics.sliceKey(id, "180p"), slice(id, "180p", 1, StorageKeys.slice(KEY, id, "180p", 1), ms, ms));
            send(Topics.sliceKey(id, "source"), sourceEnd);
            vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                    && c.updatedAt().isAfter(ready.updatedAt()), Duration.ofSeconds(60));
            List<CatalogEntry.Status> statuses = vods.seen().stream().filter(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id)).map(r -> ((CatalogEntry) r.value().data()).status()).toList();
            assertThat(statuses.subList(statuses.indexOf(CatalogEntry.Status.READY), statuses.size())).containsOnly(CatalogEntry.Status.READY);
        }
        String master = new String(store.getBytes(StorageKeys.master(id)).orElseThrow(), StandardCharsets.UTF_8);
        assertThat(master).contains("source/index.m3u8").doesNotContain("180p");
        String rungPlaylist = new String(store.getBytes(StorageKeys.mediaPlaylist(id, "180p")).orElseThrow(), StandardCharsets.UTF_8);
        assertThat(rungPlaylist).as("what it had is finished, not left growing").endsWith("#EXT-X-ENDLIST\n").contains("000000.ts")
                .doesNotContain("000001.ts");
    }

    @Test
    void redeliveredSliceIsPackagedOnceAndACorruptSliceLeavesADiscontinuityAndADegradedReplay() throws Exception {
        String id = Ids.uuid7();
        Path flv = Files.createTempFile("slice", ".flv");
        MediaTools.makeFlv(flv, 320, 240, 30, 4);
        long ms = Math.round(MediaTools.duration(flv.toString()) * 1000);
        String good0 = StorageKeys.slice(KEY, id, "source", 0);
        String bad1 = StorageKeys.slice(KEY, id, "source", 1);
        String good2 = StorageKeys.slice(KEY, id, "source", 2);
        store.putFile(good0, flv, "video/x-flv");
        store.putBytes(bad1, "FLV this is not".getBytes(StandardCharsets.UTF_8), "video/x-flv");
        // Slice 2 at its own time, after slice 1's.
        Path later = Files.createTempFile("slice", ".flv");
        FlvTags.write(later, FlvTags.media(FlvTags.read(flv), t -> t + 2 * ms));
        store.putFile(good2, later, "video/x-flv");
        String key = Topics.sliceKey(id, "source");

        send(key, slice(id, 0, good0, 0, ms));
        send(key, slice(id, 0, good0, 0, ms));
        send(key, slice(id, 1, bad1, ms, 4000));
        send(key, slice(id, 2, good2, 2 * ms, ms));
        send(key, new RecordingClosed(id, KEY.toString(), "source", 2, 3, 2 * ms, RecordingClosed.Reason.UNPUBLISHED, null, Instant.now()));

        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            CatalogEntry ready = (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id) && c.status() != CatalogEntry.Status.LIVE, Duration.ofSeconds(60)).value().data();
            assertThat(ready.status()).isEqualTo(CatalogEntry.Status.DEGRADED);
            assertThat(ready.message()).contains("slice 1").contains("could not be packaged");
            assertThat(ready.renditions()).singleElement().satisfies(r -> {
                assertThat(r.width()).isEqualTo(320);
                assertThat(r.segments()).as("4 s per good slice, one segment each, the redelivery skipped").isEqualTo(2);
            });
        }
        String playlist = new String(store.getBytes(StorageKeys.mediaPlaylist(id, "source")).orElseThrow(), StandardCharsets.UTF_8);
        assertThat(playlist).contains("#EXT-X-DISCONTINUITY").contains("#EXT-X-PLAYLIST-TYPE:VOD").endsWith("#EXT-X-ENDLIST\n");
        assertThat(store.list(StorageKeys.vodDir(id) + "source/")).extracting(o -> o.key().substring(o.key().lastIndexOf('/') + 1))
                .containsExactlyInAnyOrder("000000.ts", "000001.ts", "index.m3u8");
        assertThat(store.stat(StorageKeys.master(id))).isPresent();
    }

    /** A new recording whose source slices 0 and 1 (2 s each) are in the bucket. */
    record TwoSlices(String id, long ms, String first, String second) {
        /** The record key of the source rendition's events. */
        String key() {
            return Topics.sliceKey(id, "source");
        }
    }

    TwoSlices twoSlices() throws Exception {
        String id = Ids.uuid7();
        Path flv = Files.createTempFile("slice", ".flv");
        MediaTools.makeFlv(flv, 320, 240, 30, 2);
        long ms = Math.round(MediaTools.duration(flv.toString()) * 1000);
        String first = StorageKeys.slice(KEY, id, "source", 0);
        String second = StorageKeys.slice(KEY, id, "source", 1);
        store.putFile(first, flv, "video/x-flv");
        store.putFile(second, flv, "video/x-flv");
        return new TwoSlices(id, ms, first, second);
    }

    @Test
    void aReplicaThatStoppedIsNotTheEndOfTheRecording() throws Exception {
        TwoSlices two = twoSlices();

        send(two.key(), slice(two.id(), 0, two.first(), 0, two.ms()));
        // An older recorder announced its own shutdown as a close; the recording went on elsewhere.
        send(two.key(), new RecordingClosed(two.id(), KEY.toString(), "source", 0, 1, two.ms(), RecordingClosed.Reason.SHUTDOWN, null, Instant.now()));
        send(two.key(), slice(two.id(), 1, two.second(), 0, two.ms()));
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            // Events of one rendition are handled in order: once slice 1 is packaged, the SHUTDOWN close was handled.
            vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(two.id())
                    && c.renditions().size() == 1 && c.renditions().get(0).segments() == 2, Duration.ofSeconds(60));
            assertThat(vods.seen()).filteredOn(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(two.id())).allMatch(r -> ((CatalogEntry) r.value().data()).status() == CatalogEntry.Status.LIVE);
        }
    }

    @Test
    void aSliceAfterTheCloseReopensTheReplayAndOnlyTheNewCloseEndsIt() throws Exception {
        TwoSlices two = twoSlices();
        RecordingClosed firstEnd = new RecordingClosed(two.id(), KEY.toString(), "source", 0, 1, two.ms(), RecordingClosed.Reason.UNPUBLISHED, null,
                Instant.now());

        send(two.key(), slice(two.id(), 0, two.first(), 0, two.ms()));
        send(two.key(), firstEnd);
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(two.id())
                    && c.status() == CatalogEntry.Status.READY, Duration.ofSeconds(60));

            // The publisher came back within the reconnect window: its first slice follows a gap.
            send(two.key(), new SliceStored(two.id(), Ids.uuid7(), KEY.toString(), "source", 1, two.second(), 0, two.ms() - 33, two.ms(), 0, "", 1, true, 5000,
                    Instant.now()));
            // The first part's close delivered again after it (a redelivery) must not end the recording.
            send(two.key(), firstEnd);
            send(two.key(), slice(two.id(), 0, two.first(), 0, two.ms()));
            CatalogEntry live = (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(two.id()) && c.renditions().get(0).segments() == 2, Duration.ofSeconds(60)).value().data();
            assertThat(live.status()).isEqualTo(CatalogEntry.Status.LIVE);
            assertThat(live.endedAt()).isNull();
            String playlist = new String(store.getBytes(StorageKeys.mediaPlaylist(two.id(), "source")).orElseThrow(), StandardCharsets.UTF_8);
            assertThat(playlist).contains("#EXT-X-PLAYLIST-TYPE:EVENT").contains("#EXT-X-DISCONTINUITY").doesNotContain("#EXT-X-ENDLIST");

            send(two.key(), new RecordingClosed(two.id(), KEY.toString(), "source", 1, 2, 2 * two.ms(), RecordingClosed.Reason.UNPUBLISHED, null, Instant.now()));
            CatalogEntry ready = (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(two.id()) && c.status() == CatalogEntry.Status.READY && c.renditions().get(0).segments() == 2,
                    Duration.ofSeconds(60)).value().data();
            assertThat(ready.durationMillis()).isEqualTo(2 * two.ms());
            // Between the reopening and the second close, nothing said READY.
            List<CatalogEntry.Status> after = vods.seen().stream().filter(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(two.id()) && c.renditions().get(0).segments() == 2).map(r -> ((CatalogEntry) r.value().data()).status())
                    .toList();
            assertThat(after).last().isEqualTo(CatalogEntry.Status.READY);
            assertThat(after.subList(0, after.size() - 1)).containsOnly(CatalogEntry.Status.LIVE);
        }
        String playlist = new String(store.getBytes(StorageKeys.mediaPlaylist(two.id(), "source")).orElseThrow(), StandardCharsets.UTF_8);
        assertThat(playlist).contains("#EXT-X-PLAYLIST-TYPE:VOD").endsWith("#EXT-X-ENDLIST\n");
    }

    @Test
    void recordingClosedWithoutSlicesIsCatalogedAsFailedWithTheReason() throws Exception {
        String id = Ids.uuid7();
        send(Topics.sliceKey(id, "source"), new RecordingClosed(id, KEY.toString(), "source", -1, 0, 0,
                RecordingClosed.Reason.FAILED, "pull of rtmp://x failed: connection refused", Instant.now()));
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            CatalogEntry failed = (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id), Duration.ofSeconds(30)).value().data();
            assertThat(failed.status()).isEqualTo(CatalogEntry.Status.FAILED);
            assertThat(failed.message()).contains("connection refused");
            assertThat(failed.masterPlaylist()).isNull();
        }
    }

    @Test
    void segmentsAreDatedFromTheWallClockOfTheirSlicesFirstPacket() throws Exception {
        String id = Ids.uuid7();
        Path file = Files.createTempFile("dated", ".flv");
        MediaTools.makeFlv(file, 320, 180, 30, 13);
        long ms = Math.round(MediaTools.duration(file.toString()) * 1000);
        String key = StorageKeys.slice(KEY, id, "source", 0);
        store.putFile(key, file, "video/x-flv");
        Instant live = Instant.parse("2026-11-21T10:15:30.950Z");
        SliceStored plain = slice(id, 0, key, 0, ms);
        send(Topics.sliceKey(id, "source"), new SliceStored(id, id, KEY.toString(), "source", 0, key, 0, ms - 33, ms, 0, "", 13, false, 0,
                plain.storedAt(), null, live));
        send(Topics.sliceKey(id, "source"), new RecordingClosed(id, KEY.toString(), "source", 0, 1, ms, RecordingClosed.Reason.UNPUBLISHED,
                null, Instant.now()));
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                    && c.status() == CatalogEntry.Status.READY, Duration.ofSeconds(60));
        }
        var playlist = new io.lindstrom.m3u8.parser.MediaPlaylistParser().readPlaylist(
                new String(store.getBytes(StorageKeys.mediaPlaylist(id, "source")).orElseThrow(), StandardCharsets.UTF_8));
        assertThat(playlist.mediaSegments()).hasSizeGreaterThan(1);
        // The first segment starts with the slice's first packet; each next one as much later as the ones before last.
        Instant expected = live;
        for (var segment : playlist.mediaSegments()) {
            assertThat(segment.programDateTime().orElseThrow().toInstant()).isEqualTo(expected);
            expected = expected.plusMillis(Math.round(segment.duration() * 1000));
        }
    }

    /** The first frame at or after {@code seconds} of {@code media}, decoded by FFmpeg and scaled to {@code width} x {@code height}. */
    static java.awt.image.BufferedImage frameAt(Path media, double seconds, int width, int height) throws Exception {
        Path png = Files.createTempFile("frame", ".png");
        MediaTools.Result r = MediaTools.run(60, "ffmpeg", "-hide_banner", "-v", "error", "-nostdin", "-y", "-i", media.toString(), "-vf",
                String.format(java.util.Locale.ROOT, "select='gte(t,%.3f)',scale=%d:%d:flags=area", seconds - 0.001, width, height), "-frames:v", "1",
                png.toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        return javax.imageio.ImageIO.read(png.toFile());
    }

    /**
     * Mean absolute difference of the luma of two pictures of the same size (0 … 255): JPEG keeps luma at full
     * resolution, so a sheet's compression barely counts and a different picture does.
     */
    static double difference(java.awt.image.BufferedImage a, java.awt.image.BufferedImage b) {
        double sum = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                sum += Math.abs(luma(a.getRGB(x, y)) - luma(b.getRGB(x, y)));
            }
        }
        return sum / (a.getWidth() * a.getHeight());
    }

    static double luma(int rgb) {
        return 0.299 * (rgb >> 16 & 0xff) + 0.587 * (rgb >> 8 & 0xff) + 0.114 * (rgb & 0xff);
    }

    @Test
    void theReplayHasAPosterAndAThumbnailTrackWhosePicturesAreTheFramesAtTheirTimes() throws Exception {
        String id = Ids.uuid7();
        Path dir = Files.createTempDirectory("thumbs");
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 640, 360, 30, 30);
        // Three slices with the stream's own timestamps, cut at the first keyframe after 12 and 24 s.
        MediaTools.Result cut = MediaTools.run(60, "ffmpeg", "-hide_banner", "-v", "error", "-nostdin", "-i", source.toString(), "-c", "copy",
                "-f", "segment", "-segment_time", "12", "-segment_format", "flv", "-reset_timestamps", "0", dir.resolve("slice%d.flv").toString());
        assertThat(cut.exit()).as(cut.stderr()).isZero();
        long end = Math.round(MediaTools.duration(source.toString()) * 1000);
        long[] firsts = new long[3];
        for (int seq = 0; seq < 3; seq++) {
            firsts[seq] = Math.round(Double.parseDouble(MediaTools.probe(dir.resolve("slice" + seq + ".flv").toString(), "-read_intervals",
                    "%+#1", "-show_entries", "packet=dts_time").get(0).replace(",", "")) * 1000);
        }
        for (int seq = 0; seq < 3; seq++) {
            String key = StorageKeys.slice(KEY, id, "source", seq);
            store.putFile(key, dir.resolve("slice" + seq + ".flv"), "video/x-flv");
            send(Topics.sliceKey(id, "source"), slice(id, seq, key, firsts[seq], (seq < 2 ? firsts[seq + 1] : end) - firsts[seq]));
        }
        send(Topics.sliceKey(id, "source"), new RecordingClosed(id, KEY.toString(), "source", 2, 3, end, RecordingClosed.Reason.UNPUBLISHED,
                null, Instant.now()));
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            CatalogEntry ready = (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id) && c.status() == CatalogEntry.Status.READY, Duration.ofSeconds(60)).value().data();
            assertThat(ready.poster()).isEqualTo(StorageKeys.poster(id));
            assertThat(ready.thumbnails()).isEqualTo(StorageKeys.thumbnails(id));
        }

        String vtt = new String(store.getBytes(StorageKeys.thumbnails(id)).orElseThrow(), StandardCharsets.UTF_8);
        java.util.regex.Matcher cue = java.util.regex.Pattern.compile(
                "(\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{3}) --> (\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d{3})\n(sprites/\\d{6}\\.jpg)#xywh=(\\d+),(\\d+),(\\d+),(\\d+)\n")
                .matcher(vtt);
        assertThat(vtt).startsWith("WEBVTT\n");
        List<Long> starts = new java.util.ArrayList<>();
        long previousEnd = 0;
        while (cue.find()) {
            long start = ((Long.parseLong(cue.group(1)) * 60 + Long.parseLong(cue.group(2))) * 60 + Long.parseLong(cue.group(3))) * 1000
                    + Long.parseLong(cue.group(4));
            long stop = ((Long.parseLong(cue.group(5)) * 60 + Long.parseLong(cue.group(6))) * 60 + Long.parseLong(cue.group(7))) * 1000
                    + Long.parseLong(cue.group(8));
            assertThat(start).as("cues follow each other").isGreaterThanOrEqualTo(previousEnd);
            previousEnd = stop;
            // One picture every 10 s: the first keyframe at or after each multiple (keyframes are 1 s apart).
            assertThat(start % 10_000).as("cue at %d ms", start).isLessThan(1_000);
            java.awt.image.BufferedImage sheet = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                    store.getBytes(StorageKeys.vodDir(id) + cue.group(9)).orElseThrow()));
            int x = Integer.parseInt(cue.group(10));
            int y = Integer.parseInt(cue.group(11));
            int w = Integer.parseInt(cue.group(12));
            int h = Integer.parseInt(cue.group(13));
            assertThat(x + w).as("region inside its sheet").isLessThanOrEqualTo(sheet.getWidth());
            assertThat(y + h).isLessThanOrEqualTo(sheet.getHeight());
            assertThat(w).isEqualTo(160);
            assertThat(h).isEqualTo(90);
            java.awt.image.BufferedImage thumb = sheet.getSubimage(x, y, w, h);
            double right = difference(thumb, frameAt(source, start / 1000.0, w, h));
            // The next keyframe, 1 s later: the nearest picture it could wrongly be.
            double wrong = difference(thumb, frameAt(source, start / 1000.0 + 1, w, h));
            System.out.printf(java.util.Locale.ROOT, "[thumbnail %d ms] luma difference to the frame at its time %.1f, 1 s later %.1f%n",
                    start, right, wrong);
            assertThat(right).as("the picture is the frame at %d ms", start).isLessThan(4.0).isLessThan(wrong / 2);
            starts.add(start);
        }
        assertThat(starts).as("one picture per 10 s of 30 s").hasSize(3);
        assertThat(previousEnd).as("the last cue runs to the end").isEqualTo(end);

        java.awt.image.BufferedImage poster = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                store.getBytes(StorageKeys.poster(id)).orElseThrow()));
        assertThat(poster.getWidth()).isEqualTo(640);
        assertThat(poster.getHeight()).isEqualTo(360);
        assertThat(difference(poster, frameAt(source, starts.get(0) / 1000.0, 640, 360))).as("the poster is the first picture").isLessThan(4.0);
    }
}
