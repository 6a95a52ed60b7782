package dev.tapedeck.packager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.packager.hls.Manifest;
import dev.tapedeck.packager.hls.PlaylistWriter;
import dev.tapedeck.packager.media.Codecs;
import io.lindstrom.m3u8.model.MediaPlaylist;
import io.lindstrom.m3u8.model.MediaSegment;
import io.lindstrom.m3u8.model.PlaylistType;
import io.lindstrom.m3u8.parser.MediaPlaylistParser;
import org.junit.jupiter.api.Test;

class PlaylistWriterTest {

    static Manifest.RenditionState rendition(long... durations) {
        Manifest.RenditionState r = new Manifest.RenditionState();
        r.width = 1280;
        r.height = 720;
        r.codecs = "avc1.64001f,mp4a.40.2";
        long index = 0;
        for (long d : durations) {
            Manifest.SegmentEntry s = new Manifest.SegmentEntry();
            s.index = index++;
            s.durationMillis = d;
            s.bytes = d * 250; // 2 Mbit/s
            s.videoFrames = (int) (d * 30 / 1000);
            r.segments.add(s);
        }
        return r;
    }

    @Test
    void liveRenditionIsAnEventPlaylistWithoutEndlist() {
        assertThat(PlaylistWriter.media(rendition(6000, 4000))).isEqualTo("""
                #EXTM3U
                #EXT-X-VERSION:3
                #EXT-X-PLAYLIST-TYPE:EVENT
                #EXT-X-TARGETDURATION:6
                #EXT-X-MEDIA-SEQUENCE:0
                #EXTINF:6.0,
                000000.ts
                #EXTINF:4.0,
                000001.ts
                """);
    }

    @Test
    void everySegmentSaysWhenItWasLiveAndTheLibraryReadsItBack() throws Exception {
        Manifest.RenditionState r = rendition(6000, 4000);
        r.segments.get(0).programDateTime = java.time.Instant.parse("2026-11-21T10:15:30.950Z");
        r.segments.get(1).programDateTime = java.time.Instant.parse("2026-11-21T10:15:36.950Z");
        String text = PlaylistWriter.media(r);
        assertThat(text).contains("#EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:15:30.95Z\n#EXTINF:6.0,\n000000.ts\n")
                .contains("#EXT-X-PROGRAM-DATE-TIME:2026-11-21T10:15:36.95Z\n#EXTINF:4.0,\n000001.ts\n");
        MediaPlaylist read = new MediaPlaylistParser().readPlaylist(text);
        assertThat(read.mediaSegments()).extracting(seg -> seg.programDateTime().orElseThrow().toInstant())
                .containsExactly(java.time.Instant.parse("2026-11-21T10:15:30.950Z"), java.time.Instant.parse("2026-11-21T10:15:36.950Z"));
    }

    @Test
    void closedRenditionIsVodWithEndlistAndDiscontinuities() {
        Manifest.RenditionState r = rendition(6000, 4000, 6033);
        r.closed = true;
        r.segments.get(2).discontinuity = true;
        assertThat(PlaylistWriter.media(r)).isEqualTo("""
                #EXTM3U
                #EXT-X-VERSION:3
                #EXT-X-PLAYLIST-TYPE:VOD
                #EXT-X-TARGETDURATION:7
                #EXT-X-MEDIA-SEQUENCE:0
                #EXTINF:6.0,
                000000.ts
                #EXTINF:4.0,
                000001.ts
                #EXT-X-DISCONTINUITY
                #EXTINF:6.033,
                000002.ts
                #EXT-X-ENDLIST
                """);
    }

    static Manifest.SegmentEntry gap(Manifest.SegmentEntry source, long follows) {
        Manifest.SegmentEntry g = new Manifest.SegmentEntry();
        g.index = source.index;
        g.durationMillis = source.durationMillis;
        g.map = source.map;
        g.follows = follows;
        return g;
    }

    @Test
    void aRungThatStartedLateAndEndedEarlyHasTheSourcesSegmentsAsGapsWhereItHasNoneAndLeavesOutItsPartOfASegment() throws Exception {
        Manifest.RenditionState source = rendition(6000, 6000, 6000, 6000);
        Manifest.RenditionState r = rendition(2000, 6000, 6000);
        r.unplaced = 3;
        Manifest m = new Manifest();
        m.recordingId = "r1";
        m.renditions.put("source", source);
        m.renditions.put("180p", r);
        assertThat(PlaylistWriter.variants(m)).as("not listed while it waits for the source").extracting(PlaylistWriter.Variant::name)
                .containsExactly("source");
        r.unplaced = 0;
        r.gapSegments.add(gap(source.segments.get(0), -1));
        r.skippedSegments.add(0L);
        r.gapSegments.add(gap(source.segments.get(3), 2));
        String text = PlaylistWriter.media(r);
        assertThat(text).isEqualTo("""
                #EXTM3U
                #EXT-X-VERSION:3
                #EXT-X-PLAYLIST-TYPE:EVENT
                #EXT-X-TARGETDURATION:6
                #EXT-X-MEDIA-SEQUENCE:0
                #EXT-X-GAP
                #EXTINF:6.0,
                ../source/000000.ts
                #EXTINF:6.0,
                000001.ts
                #EXTINF:6.0,
                000002.ts
                #EXT-X-GAP
                #EXTINF:6.0,
                ../source/000003.ts
                """);
        MediaPlaylist parsed = new MediaPlaylistParser().readPlaylist(text);
        assertThat(parsed.mediaSegments()).extracting(MediaSegment::gap).containsExactly(true, false, false, true);
        assertThat(new MediaPlaylistParser().writePlaylistAsString(parsed)).isEqualTo(text);
        assertThat(PlaylistWriter.variants(m)).extracting(PlaylistWriter.Variant::name, PlaylistWriter.Variant::segments)
                .contains(org.assertj.core.groups.Tuple.tuple("180p", 2));
    }

    @Test
    void aHoleIsFilledWithTheSourcesSegmentsAndALeftOutSegmentsDiscontinuityGoesToTheNextOne() {
        Manifest.RenditionState source = rendition(6000, 6000, 6000, 6000);
        Manifest.RenditionState r = rendition(6000, 3000, 6000);
        r.segments.get(1).discontinuity = true; // its worker was started again mid-segment
        r.gapSegments.add(gap(source.segments.get(1), 0));
        r.gapSegments.add(gap(source.segments.get(2), 0));
        r.skippedSegments.add(1L);
        assertThat(PlaylistWriter.media(r)).endsWith("""
                #EXTINF:6.0,
                000000.ts
                #EXT-X-GAP
                #EXTINF:6.0,
                ../source/000001.ts
                #EXT-X-GAP
                #EXTINF:6.0,
                ../source/000002.ts
                #EXT-X-DISCONTINUITY
                #EXTINF:6.0,
                000002.ts
                """);
    }

    @Test
    void fmp4SegmentsNameTheirInitSectionWhereItChangesAndALateRungsGapsTheSources() throws Exception {
        Manifest.RenditionState source = rendition(6000, 6000, 6000, 6000);
        source.segments.forEach(seg -> seg.map = "init.mp4");
        Manifest.RenditionState r = rendition(6000, 6000, 6000);
        r.segments.forEach(seg -> seg.map = "init.mp4");
        r.segments.get(2).map = "init-000002.mp4"; // its streams changed
        r.gapSegments.add(gap(source.segments.get(0), -1));
        r.closed = true;
        String text = PlaylistWriter.media(r);
        assertThat(text).isEqualTo("""
                #EXTM3U
                #EXT-X-VERSION:7
                #EXT-X-PLAYLIST-TYPE:VOD
                #EXT-X-TARGETDURATION:6
                #EXT-X-MEDIA-SEQUENCE:0
                #EXT-X-GAP
                #EXT-X-MAP:URI="../source/init.mp4"
                #EXTINF:6.0,
                ../source/000000.m4s
                #EXT-X-MAP:URI="init.mp4"
                #EXTINF:6.0,
                000000.m4s
                #EXTINF:6.0,
                000001.m4s
                #EXT-X-MAP:URI="init-000002.mp4"
                #EXTINF:6.0,
                000002.m4s
                #EXT-X-ENDLIST
                """);
        MediaPlaylist parsed = new MediaPlaylistParser().readPlaylist(text);
        assertThat(new MediaPlaylistParser().writePlaylistAsString(parsed)).isEqualTo(text);
    }

    @Test
    void theTargetDurationIsTheRenditionsOwnNotTheLongestSegments() throws Exception {
        Manifest.RenditionState r = rendition(6000, 4000, 2000);
        r.targetDuration = 8;
        String text = PlaylistWriter.media(r);
        assertThat(text).contains("#EXT-X-TARGETDURATION:8\n");
        // What is written reads back with the same library, unchanged.
        MediaPlaylist parsed = new MediaPlaylistParser().readPlaylist(text);
        assertThat(parsed.targetDuration()).isEqualTo(8);
        assertThat(parsed.playlistType()).contains(PlaylistType.EVENT);
        assertThat(parsed.mediaSegments()).extracting(MediaSegment::duration).containsExactly(6.0, 4.0, 2.0);
        assertThat(new MediaPlaylistParser().writePlaylistAsString(parsed)).isEqualTo(text);
    }

    @Test
    void masterListsRenditionsByBandwidthWithMeasuredAttributes() {
        Manifest m = new Manifest();
        m.recordingId = "r1";
        m.renditions.put("360p", rendition(6000));
        m.renditions.get("360p").segments.get(0).bytes = 600_000;
        m.renditions.get("360p").width = 640;
        m.renditions.get("360p").height = 360;
        m.renditions.put("source", rendition(6000, 4000));
        m.renditions.get("source").segments.get(0).bytes = 2_000_000;
        m.renditions.put("empty", new Manifest.RenditionState());
        assertThat(PlaylistWriter.master(m)).isEqualTo("""
                #EXTM3U
                #EXT-X-VERSION:3
                #EXT-X-INDEPENDENT-SEGMENTS
                #EXT-X-STREAM-INF:BANDWIDTH=2666666,AVERAGE-BANDWIDTH=2400000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.0
                source/index.m3u8
                #EXT-X-STREAM-INF:BANDWIDTH=800000,AVERAGE-BANDWIDTH=800000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.0
                360p/index.m3u8
                """);
    }

    /**
     * Segments of {@code rate} fps as the packager measures them: {@code frames} each, their spans from the first frame's
     * DTS to the last's rounded to the millisecond as FLV keeps them, the last segment {@code tailMillis} longer than its
     * pictures (the audio after them).
     */
    static Manifest.RenditionState measured(double rate, long tailMillis, int... frames) {
        Manifest.RenditionState r = new Manifest.RenditionState();
        long at = 0;
        for (int i = 0; i < frames.length; i++) {
            Manifest.SegmentEntry s = new Manifest.SegmentEntry();
            s.index = i;
            s.videoFrames = frames[i];
            long first = Math.round(at * 1000 / rate);
            long last = Math.round((at + frames[i] - 1) * 1000 / rate);
            long end = Math.round((at + frames[i]) * 1000 / rate);
            s.videoSpanMillis = last - first;
            s.durationMillis = end - first + (i == frames.length - 1 ? tailMillis : 0);
            s.bytes = s.durationMillis * 250;
            r.segments.add(s);
            at += frames[i];
        }
        return r;
    }

    /** The FRAME-RATE of a recording with this rendition only. */
    static double rate(Manifest.RenditionState r) {
        Manifest m = new Manifest();
        m.renditions.put("source", r);
        return PlaylistWriter.variants(m).get(0).frameRate();
    }

    @Test
    void theFrameRateIsTheNominalRateOfTheFramesNotOfTheAudioAfterThem() {
        // 24 s at 30 fps in 5 s segments, the audio 67 ms past the last picture: frames over durations read 29.916.
        assertThat(rate(measured(30, 67, 150, 150, 150, 150, 120))).isEqualTo(30.0);
        assertThat(rate(measured(30000.0 / 1001, 40, 150, 150, 90))).isEqualTo(29.97);
        assertThat(rate(measured(25, 0, 125, 125, 50))).isEqualTo(25.0);
        assertThat(rate(measured(60, 20, 300, 300, 7))).isEqualTo(60.0);
        assertThat(rate(measured(60000.0 / 1001, 20, 300, 300))).isEqualTo(59.94);
        // One short segment: its span is known to a millisecond in 300, still nearer 30 than anything else.
        assertThat(rate(measured(30, 500, 10))).isEqualTo(30.0);
        // Short segments only: measured over all of them together.
        assertThat(rate(measured(30000.0 / 1001, 0, 45, 45, 45, 45))).isEqualTo(29.97);
    }

    @Test
    void picturesMissingInOneSegmentDoNotLowerTheRate() {
        // A killed publisher's last P-frame came without its B-frames: three pictures missing in the first part's end.
        Manifest.RenditionState r = measured(30, 0, 150, 150, 150);
        Manifest.SegmentEntry last = r.segments.get(2);
        last.videoFrames -= 3;
        assertThat(rate(r)).isEqualTo(30.0);
    }

    @Test
    void aRateNoStandardOneExplainsIsWrittenAsMeasured() {
        // A variable-rate source at 29.5 fps, and a 30 fps source with two frames missing in every second.
        assertThat(rate(measured(29.5, 0, 150, 150, 150))).isCloseTo(29.5, org.assertj.core.api.Assertions.within(0.01));
        Manifest.RenditionState missing = measured(30, 0, 150, 150, 150);
        missing.segments.forEach(s -> s.videoFrames -= 10);
        assertThat(rate(missing)).isEqualTo(27.985);
    }

    @Test
    void codecStringsComeFromTheAvcRecord() {
        assertThat(Codecs.avc1(new byte[] {1, 0x64, 0x00, 0x1f, (byte) 0xff}, 100, 31)).isEqualTo("avc1.64001f");
        assertThat(Codecs.avc1(null, 77, 30)).isEqualTo("avc1.4d001e");
        assertThat(Codecs.mp4a(1)).isEqualTo("mp4a.40.2");
        assertThat(Codecs.mp4a(-99)).isEqualTo("mp4a.40.2");
        // hvcC: version 1; Main profile, tier L; compatibility flags Main and Main 10; constraints 0x90; level 93 (3.1).
        byte[] hvcc = {1, 0x01, 0x60, 0, 0, 0, (byte) 0x90, 0, 0, 0, 0, 0, 93};
        assertThat(Codecs.hvc1(hvcc, 1, 93)).isEqualTo("hvc1.1.6.L93.90");
        // Main 10, tier H, level 120 (4.0), two constraint bytes.
        byte[] main10 = {1, 0x22, 0x20, 0, 0, 0, (byte) 0xB0, 0x01, 0, 0, 0, 0, 120};
        assertThat(Codecs.hvc1(main10, 2, 120)).isEqualTo("hvc1.2.4.H120.B0.1");
        assertThat(Codecs.hvc1(null, 1, 93)).isEqualTo("hvc1.1.6.L93.B0");
    }
}
