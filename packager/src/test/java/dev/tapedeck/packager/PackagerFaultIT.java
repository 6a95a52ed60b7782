package dev.tapedeck.packager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.contract.event.EventCodec;
import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceMedia;
import dev.tapedeck.contract.event.SliceStored;
import dev.tapedeck.contract.event.TapedeckEvent;
import dev.tapedeck.packager.hls.Manifest;
import dev.tapedeck.packager.service.RecordingLanes;
import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.storage.Sha256;
import dev.tapedeck.storage.StoredObject;
import dev.tapedeck.testkit.EmbeddedS3;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import dev.tapedeck.testkit.TopicWriter;
import io.lindstrom.m3u8.model.MediaPlaylist;
import io.lindstrom.m3u8.model.PlaylistType;
import io.lindstrom.m3u8.parser.MediaPlaylistParser;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** The packager under storage faults and damaged slices, against the embedded broker and S3 server. */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
class PackagerFaultIT {
    static final StreamKey KEY = PackagerIT.KEY;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @Inject
    ObjectStore objects;

    @Inject
    RecordingLanes lanes;

    @Inject
    MeterRegistry metrics;

    /** {@code n} slices of 2 s each in the bucket, continuing each other's stream time; their SliceStored events. */
    List<SliceStored> slices(String id, int n) throws Exception {
        int[] seconds = new int[n];
        java.util.Arrays.fill(seconds, 2);
        return slices(id, seconds);
    }

    /** Slices of the given lengths in the bucket, continuing each other's stream time; their SliceStored events. */
    List<SliceStored> slices(String id, int... seconds) throws Exception {
        Path dir = Files.createTempDirectory("slices");
        List<SliceStored> events = new ArrayList<>();
        long start = 0;
        for (int seq = 0; seq < seconds.length; seq++) {
            Path made = dir.resolve(seq + "-made.flv");
            MediaTools.makeFlv(made, 320, 240, 30, seconds[seq]);
            long ms = Math.round(MediaTools.duration(made.toString()) * 1000);
            Path slice = dir.resolve(seq + ".flv");
            // Every tag's decode time moved by the same amount, as the recorder's slices are (FFmpeg's output_ts_offset
            // would move a stream with B-frames by its presentation time, its first DTS then before the slice's start).
            long offset = start;
            dev.tapedeck.testkit.FlvTags.write(slice, dev.tapedeck.testkit.FlvTags.media(dev.tapedeck.testkit.FlvTags.read(made),
                    t -> t + offset));
            String key = StorageKeys.slice(KEY, id, "source", seq);
            objects.putFile(key, slice, "video/x-flv");
            events.add(new SliceStored(id, id, KEY.toString(), "source", seq, key, start, start + ms - 33, ms, Files.size(slice),
                    Sha256.of(slice), seconds[seq], false, 0, Instant.now()));
            start += ms;
        }
        return events;
    }

    void send(String key, TapedeckEvent event) throws Exception {
        TopicWriter.send(kafka, Topics.SLICES, key, CloudEvent.of("test", event, Clock.systemUTC()));
    }

    void sendAll(String id, List<SliceStored> events) throws Exception {
        for (SliceStored e : events) {
            send(Topics.sliceKey(id, "source"), e);
        }
        SliceStored last = events.get(events.size() - 1);
        Instant now = Instant.now();
        send(Topics.sliceKey(id, "source"), new RecordingClosed(id, KEY.toString(), "source", last.seq(), events.size(),
                events.size() * last.durationMillis(), RecordingClosed.Reason.UNPUBLISHED, null, now, null, null,
                List.of(new RecordingClosed.Ending(RecordingClosed.Reason.END_OF_INPUT, true, now.minusSeconds(5), 0, null, 1),
                        new RecordingClosed.Ending(RecordingClosed.Reason.UNPUBLISHED, false, now, last.seq(), null, 1))));
    }

    static CatalogEntry awaitFinal(TopicReader vods, String id) {
        return (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                && c.status() != CatalogEntry.Status.LIVE, Duration.ofSeconds(90)).value().data();
    }

    String playlist(String id) {
        return new String(objects.getBytes(StorageKeys.mediaPlaylist(id, "source")).orElseThrow(), StandardCharsets.UTF_8);
    }

    @Test
    void anS3OutageWhileSlicesArriveDelaysTheReplaysAndLosesNothing() throws Exception {
        String a = Ids.uuid7();
        String b = Ids.uuid7();
        List<SliceStored> slicesOfA = slices(a, 3);
        List<SliceStored> slicesOfB = slices(b, 1);
        double retriesBefore = metrics.counter("tapedeck.packager.retries").count();
        EmbeddedS3 s3 = TapedeckTestResource.TestServers.get().s3();

        s3.stop();
        long down = System.nanoTime();
        try {
            sendAll(a, slicesOfA);
            sendAll(b, slicesOfB);
            // Both recordings wait for storage at once: the consumer handed B's events out while A's first step was failing.
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (lanes.retrying() < 2) {
                assertThat(System.nanoTime()).as("both recordings retry side by side").isLessThan(deadline);
                Thread.sleep(100);
            }
            while (System.nanoTime() - down < Duration.ofSeconds(30).toNanos()) {
                assertThat(lanes.busyLanes()).as("nothing was given up during the outage").isGreaterThanOrEqualTo(2);
                Thread.sleep(500);
            }
        } finally {
            s3.restart();
        }

        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            CatalogEntry entryOfA = awaitFinal(vods, a);
            CatalogEntry entryOfB = awaitFinal(vods, b);
            assertThat(entryOfA.status()).isEqualTo(CatalogEntry.Status.READY);
            assertThat(entryOfA.message()).isNull();
            assertThat(entryOfA.renditions()).singleElement().satisfies(r -> assertThat(r.segments()).isEqualTo(3));
            assertThat(entryOfA.durationMillis()).isEqualTo(3 * slicesOfA.get(0).durationMillis());
            assertThat(entryOfB.status()).isEqualTo(CatalogEntry.Status.READY);
        }
        assertThat(playlist(a)).doesNotContain("#EXT-X-DISCONTINUITY").endsWith("#EXT-X-ENDLIST\n");
        assertThat(metrics.counter("tapedeck.packager.retries").count() - retriesBefore).as("steps were retried").isPositive();
        assertThat(lanes.retrying()).isZero();
    }

    @Test
    void aSliceWhoseNativeWorkKilledThePackagerTwiceBecomesAGapWhileOneThatKilledItOnceIsTriedAgain() throws Exception {
        String id = Ids.uuid7();
        List<SliceStored> events = slices(id, 4);
        // What a packager that died in the middle of the native work leaves: its count of attempts at the slice.
        objects.putBytes(StorageKeys.packagerAttempts(id, "source", 1), "2".getBytes(StandardCharsets.UTF_8), "text/plain");
        objects.putBytes(StorageKeys.packagerAttempts(id, "source", 2), "1".getBytes(StandardCharsets.UTF_8), "text/plain");

        sendAll(id, events);
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            CatalogEntry entry = awaitFinal(vods, id);
            assertThat(entry.status()).isEqualTo(CatalogEntry.Status.DEGRADED);
            assertThat(entry.message()).contains("slice 1").contains("stopped the packager 2 times");
            assertThat(entry.renditions()).singleElement().satisfies(r -> assertThat(r.segments()).isEqualTo(3));
        }
        Manifest m = EventCodec.mapper().readValue(objects.getBytes(StorageKeys.manifest(id)).orElseThrow(), Manifest.class);
        assertThat(m.renditions.get("source").gaps).singleElement().satisfies(g -> {
            assertThat(g.slice).isEqualTo(1);
            assertThat(g.cause).isEqualTo("crashed");
        });
        assertThat(m.renditions.get("source").sliceRecords).extracting(r -> r.seq).containsExactly(0L, 2L, 3L);
        assertThat(playlist(id)).contains("#EXT-X-DISCONTINUITY").endsWith("#EXT-X-ENDLIST\n");
        assertThat(objects.getBytes(StorageKeys.packagerAttempts(id, "source", 2))).as("an attempt that ended is forgotten").isEmpty();
        assertThat(objects.getBytes(StorageKeys.packagerAttempts(id, "source", 1))).as("the quarantined slice's count stays")
                .isPresent();
        assertThat(objects.getBytes(StorageKeys.packagerAttempts(id, "source", 0))).isEmpty();
    }

    @Test
    void aSliceWithBytesFlippedInTheMiddleBecomesAMarkedGapAndTheReplayIsDegraded() throws Exception {
        String id = Ids.uuid7();
        List<SliceStored> events = slices(id, 3);
        // The object changed after it was stored: the same length, 64 bytes in the middle inverted.
        byte[] bytes = objects.getBytes(events.get(1).objectKey()).orElseThrow();
        for (int i = bytes.length / 2; i < bytes.length / 2 + 64; i++) {
            bytes[i] = (byte) ~bytes[i];
        }
        objects.putBytes(events.get(1).objectKey(), bytes, "video/x-flv");

        sendAll(id, events);
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            CatalogEntry entry = awaitFinal(vods, id);
            assertThat(entry.status()).isEqualTo(CatalogEntry.Status.DEGRADED);
            assertThat(entry.message()).contains("slice 1").contains("checksum");
            assertThat(entry.manifest()).isEqualTo(StorageKeys.manifest(id));
            assertThat(entry.renditions()).singleElement().satisfies(r -> assertThat(r.segments()).isEqualTo(2));
        }
        String playlist = playlist(id);
        assertThat(playlist).contains("#EXT-X-DISCONTINUITY").endsWith("#EXT-X-ENDLIST\n");
        // The manifest is the integrity report: what the replay is made of, what is missing and why, how it ended.
        Manifest m = EventCodec.mapper().readValue(objects.getBytes(StorageKeys.manifest(id)).orElseThrow(), Manifest.class);
        assertThat(m.status).isEqualTo("DEGRADED");
        assertThat(m.message).contains("checksum");
        Manifest.RenditionState source = m.renditions.get("source");
        assertThat(source.gaps).singleElement().satisfies(g -> {
            assertThat(g.slice).isEqualTo(1);
            assertThat(g.cause).isEqualTo("checksum");
            assertThat(g.durationMillis).isEqualTo(events.get(1).durationMillis());
        });
        assertThat(source.sliceRecords).extracting(r -> r.seq, r -> r.sha256)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0L, events.get(0).sha256()),
                        org.assertj.core.groups.Tuple.tuple(2L, events.get(2).sha256()));
        assertThat(source.closes).singleElement().satisfies(c -> {
            assertThat(c.reason).isEqualTo("UNPUBLISHED");
            assertThat(c.lastSeq).isEqualTo(2);
            assertThat(c.endings).as("which close reasons ended the input").extracting(e -> e.reason(), e -> e.reopened())
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(RecordingClosed.Reason.END_OF_INPUT, true),
                            org.assertj.core.groups.Tuple.tuple(RecordingClosed.Reason.UNPUBLISHED, false));
        });

        // What is left plays: the replay decodes without an error.
        Path local = Files.createTempDirectory("replay");
        for (StoredObject o : objects.list(StorageKeys.vodDir(id) + "source/")) {
            objects.download(o.key(), local.resolve(o.key().substring(o.key().lastIndexOf('/') + 1)));
        }
        assertThat(MediaTools.decodeErrors(local.resolve("index.m3u8").toString())).isEmpty();
        assertThat(MediaTools.duration(local.resolve("index.m3u8").toString())).isGreaterThan(3.5);
    }

    @Test
    void everyPlaylistWrittenWhileLiveParsesAndKeepsItsTargetDuration() throws Exception {
        String id = Ids.uuid7();
        // A short first slice: its segment is short too, yet the target duration must allow for the longer ones after it.
        List<SliceStored> events = slices(id, 2, 4, 2);
        List<MediaPlaylist> seen = new ArrayList<>();
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            for (SliceStored e : events) {
                send(Topics.sliceKey(id, "source"), e);
                int segments = (int) e.seq() + 1;
                vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c && c.recordingId().equals(id)
                        && !c.renditions().isEmpty() && c.renditions().get(0).segments() == segments, Duration.ofSeconds(60));
                seen.add(new MediaPlaylistParser().readPlaylist(playlist(id)));
            }
            send(Topics.sliceKey(id, "source"), new RecordingClosed(id, KEY.toString(), "source", 2, 3, 8000,
                    RecordingClosed.Reason.UNPUBLISHED, null, Instant.now()));
            awaitFinal(vods, id);
            seen.add(new MediaPlaylistParser().readPlaylist(playlist(id)));
        }
        assertThat(seen).extracting(MediaPlaylist::targetDuration).as("fixed for the life of the playlist").containsOnly(seen.get(0).targetDuration());
        assertThat(seen.subList(0, 3)).allSatisfy(p -> {
            assertThat(p.playlistType()).contains(PlaylistType.EVENT);
            assertThat(p.ongoing()).isTrue();
        });
        MediaPlaylist vod = seen.get(3);
        assertThat(vod.playlistType()).contains(PlaylistType.VOD);
        assertThat(vod.ongoing()).as("#EXT-X-ENDLIST").isFalse();
        assertThat(vod.mediaSegments()).hasSize(3).allSatisfy(s -> assertThat(Math.round(s.duration())).isLessThanOrEqualTo(vod.targetDuration()));
    }

    /** The same slices under another recording's keys. */
    List<SliceStored> copy(List<SliceStored> slices, String id) throws Exception {
        List<SliceStored> copies = new ArrayList<>();
        for (SliceStored e : slices) {
            String key = StorageKeys.slice(KEY, id, e.rendition(), e.seq());
            objects.putBytes(key, objects.getBytes(e.objectKey()).orElseThrow(), "video/x-flv");
            copies.add(new SliceStored(id, id, e.streamKey(), e.rendition(), e.seq(), key, e.firstDtsMillis(), e.lastDtsMillis(),
                    e.durationMillis(), e.bytes(), e.sha256(), e.keyframes(), e.discontinuity(), e.gapMillis(), e.storedAt()));
        }
        return copies;
    }

    RecordingClosed closeAt(SliceStored last) {
        return new RecordingClosed(last.recordingId(), KEY.toString(), "source", last.seq(), last.seq() + 1, last.firstDtsMillis()
                + last.durationMillis(), RecordingClosed.Reason.UNPUBLISHED, null, Instant.now());
    }

    @Test
    void reorderedAndRedeliveredSlicesGiveTheSamePlaylistAsSlicesInOrder() throws Exception {
        String inOrder = Ids.uuid7();
        String shuffled = Ids.uuid7();
        List<SliceStored> a = slices(inOrder, 3);
        List<SliceStored> b = copy(a, shuffled);

        sendAll(inOrder, a);
        String key = Topics.sliceKey(shuffled, "source");
        for (int i : new int[] {0, 2, 1, 2, 0}) {
            send(key, b.get(i));
        }
        send(key, closeAt(b.get(2)));
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            assertThat(awaitFinal(vods, inOrder).status()).isEqualTo(CatalogEntry.Status.READY);
            CatalogEntry entry = awaitFinal(vods, shuffled);
            assertThat(entry.status()).isEqualTo(CatalogEntry.Status.READY);
            assertThat(entry.message()).isNull();
        }
        assertThat(playlist(shuffled)).isEqualTo(playlist(inOrder)).doesNotContain("#EXT-X-DISCONTINUITY");
        Manifest m = EventCodec.mapper().readValue(objects.getBytes(StorageKeys.manifest(shuffled)).orElseThrow(), Manifest.class);
        assertThat(m.renditions.get("source").segments).extracting(e -> e.slice).as("in stream order").containsExactly(0L, 1L, 2L);
    }

    @Test
    void aSliceThatNeverComesBecomesAMarkedGapAndOneThatComesTooLateChangesNothing() throws Exception {
        String id = Ids.uuid7();
        List<SliceStored> events = slices(id, 3);
        String key = Topics.sliceKey(id, "source");
        send(key, events.get(0));
        send(key, events.get(2));
        send(key, closeAt(events.get(2)));
        String playlist;
        CatalogEntry degraded;
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            degraded = awaitFinal(vods, id);
            assertThat(degraded.status()).isEqualTo(CatalogEntry.Status.DEGRADED);
            assertThat(degraded.message()).contains("slice 1 is missing");
            assertThat(degraded.renditions()).singleElement().satisfies(r -> assertThat(r.segments()).isEqualTo(2));
            playlist = playlist(id);
            assertThat(playlist).contains("#EXT-X-DISCONTINUITY\n#EXTINF").endsWith("#EXT-X-ENDLIST\n");

            // Slice 1 after all, then the close again: the replay stays as it was.
            send(key, events.get(1));
            send(key, closeAt(events.get(2)));
            CatalogEntry again = (CatalogEntry) vods.await(r -> r.value() != null && r.value().data() instanceof CatalogEntry c
                    && c.recordingId().equals(id) && c.updatedAt().isAfter(degraded.updatedAt()), Duration.ofSeconds(60)).value().data();
            assertThat(again.status()).isEqualTo(CatalogEntry.Status.DEGRADED);
        }
        assertThat(playlist(id)).isEqualTo(playlist);
        Manifest m = EventCodec.mapper().readValue(objects.getBytes(StorageKeys.manifest(id)).orElseThrow(), Manifest.class);
        assertThat(m.renditions.get("source").gaps).singleElement().satisfies(g -> {
            assertThat(g.slice).isEqualTo(1);
            assertThat(g.cause).isEqualTo("missing");
        });
        assertThat(m.renditions.get("source").lateSlices).isEqualTo(1);
    }

    @Test
    void aSliceTheRecorderQuarantinedIsAGapAtOnce() throws Exception {
        String id = Ids.uuid7();
        List<SliceStored> events = slices(id, 3);
        SliceStored third = events.get(2);
        // Slice 1 could not be stored under its number (the recorder quarantined it); slice 2 says so.
        SliceStored afterHole = new SliceStored(id, id, third.streamKey(), "source", 2, third.objectKey(), third.firstDtsMillis(),
                third.lastDtsMillis(), third.durationMillis(), third.bytes(), third.sha256(), third.keyframes(), true, 0, third.storedAt(),
                new SliceMedia(60, 90, 320, 240, "avc1.64000d", "mp4a.40.2", "QUARANTINE_HOLE", null));
        String key = Topics.sliceKey(id, "source");
        send(key, events.get(0));
        send(key, afterHole);
        send(key, closeAt(afterHole));
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            CatalogEntry entry = awaitFinal(vods, id);
            assertThat(entry.status()).isEqualTo(CatalogEntry.Status.DEGRADED);
            assertThat(entry.renditions()).singleElement().satisfies(r -> assertThat(r.segments()).isEqualTo(2));
        }
        Manifest m = EventCodec.mapper().readValue(objects.getBytes(StorageKeys.manifest(id)).orElseThrow(), Manifest.class);
        assertThat(m.renditions.get("source").gaps).singleElement().satisfies(g -> {
            assertThat(g.slice).isEqualTo(1);
            assertThat(g.cause).as("not waited for as missing: the recorder said it will not come").isEqualTo("quarantined");
        });
        assertThat(playlist(id)).contains("#EXT-X-DISCONTINUITY\n");
    }
}
