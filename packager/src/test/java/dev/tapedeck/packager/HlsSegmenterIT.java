package dev.tapedeck.packager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tapedeck.packager.media.HlsSegmenter;
import dev.tapedeck.packager.media.Segment;
import dev.tapedeck.packager.media.SegmentFormat;
import dev.tapedeck.packager.media.SegmentedSlice;
import dev.tapedeck.packager.media.Thumbnailer;
import dev.tapedeck.packager.media.UnsupportedCodecException;
import dev.tapedeck.testkit.MediaTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HlsSegmenterIT {

    @Test
    void sliceBecomesKeyframeAlignedTsSegmentsThatAddUp(@TempDir Path dir) throws Exception {
        Path flv = dir.resolve("slice.flv");
        MediaTools.makeFlv(flv, 640, 360, 30, 10);
        double seconds = MediaTools.duration(flv.toString());
        SegmentedSlice out = new HlsSegmenter(6000).segment(flv, dir.resolve("seg"), Math.round(seconds * 1000));

        assertThat(out.segments()).hasSize(2);
        assertThat(out.info().codecs()).matches("avc1\\.[0-9a-f]{6},mp4a\\.40\\.2");
        assertThat(out.info().width()).isEqualTo(640);
        long total = out.segments().stream().mapToLong(Segment::durationMillis).sum();
        assertThat(total / 1000.0).isCloseTo(seconds, within(0.05));
        assertThat(out.segments().get(0).durationMillis()).as("cut at the first keyframe after 6 s").isBetween(6000L, 6100L);
        for (Segment s : out.segments()) {
            assertThat(MediaTools.decodeErrors(s.file().toString())).isEmpty();
            assertThat(MediaTools.probe(s.file().toString(), "-show_entries", "format=format_name")).containsExactly("mpegts");
        }
    }

    @Test
    void inFmp4EverySegmentSharesOneInitSectionAndKeepsItsStreamTime(@TempDir Path dir) throws Exception {
        Path flv = dir.resolve("slice.flv");
        MediaTools.makeFlv(flv, 640, 360, 30, 14);
        // The slice starts 60 s into the stream, as a later slice does.
        java.util.List<dev.tapedeck.testkit.FlvTags.Tag> tags = dev.tapedeck.testkit.FlvTags.read(flv);
        dev.tapedeck.testkit.FlvTags.write(flv, dev.tapedeck.testkit.FlvTags.media(tags, t -> t + 60_000));
        double seconds = MediaTools.duration(flv.toString());
        SegmentedSlice out = new HlsSegmenter(6000, SegmentFormat.FMP4).segment(flv, dir.resolve("seg"), 60_000 + Math.round(seconds * 1000));

        assertThat(out.segments()).hasSize(3);
        byte[] init = Files.readAllBytes(out.segments().get(0).init());
        assertThat(new String(init, 4, 4, StandardCharsets.US_ASCII)).isEqualTo("ftyp");
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        all.write(init);
        for (Segment s : out.segments()) {
            assertThat(s.file().getFileName().toString()).endsWith(".m4s");
            assertThat(Files.readAllBytes(s.init())).as("the same init section for every segment").isEqualTo(init);
            byte[] media = Files.readAllBytes(s.file());
            assertThat(new String(media, 4, 4, StandardCharsets.US_ASCII)).isIn("moof", "styp");
            assertThat(new String(media, StandardCharsets.ISO_8859_1)).doesNotContain("moov");
            // Each segment plays after the init section alone, at its own stream time.
            Path alone = dir.resolve("alone-" + s.file().getFileName() + ".mp4");
            Files.write(alone, concat(init, media));
            assertThat(MediaTools.decodeErrors(alone.toString())).isEmpty();
            double start = Double.parseDouble(MediaTools.probe(alone.toString(), "-select_streams", "v:0", "-show_entries",
                    "packet=dts_time", "-read_intervals", "%+#1").get(0));
            assertThat(start).isCloseTo(s.firstDtsMillis() / 1000.0, within(0.1));
            all.write(media);
        }
        Path whole = dir.resolve("whole.mp4");
        Files.write(whole, all.toByteArray());
        assertThat(MediaTools.decodeErrors(whole.toString())).isEmpty();
        assertThat(MediaTools.probe(whole.toString(), "-count_packets", "-select_streams", "v:0", "-show_entries",
                "stream=nb_read_packets")).containsExactly(String.valueOf(14 * 30));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static Path flv(Path dir, String audioCodec) {
        Path flv = dir.resolve(audioCodec + ".flv");
        MediaTools.Result r = MediaTools.run(120, "ffmpeg", "-hide_banner", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
                "-f", "lavfi", "-i", "sine=sample_rate=44100", "-t", "4", "-c:v", "libx264", "-g", "30", "-pix_fmt", "yuv420p",
                "-c:a", audioCodec, "-ac", "1", "-f", "flv", "-y", flv.toString());
        assertThat(r.exit()).as(r.stderr()).isZero();
        return flv;
    }

    @Test
    void mp3AudioIsPackagedWithItsCodecString(@TempDir Path dir) throws Exception {
        SegmentedSlice out = new HlsSegmenter(6000).segment(flv(dir, "libmp3lame"), dir.resolve("seg"), 4000);
        assertThat(out.info().codecs()).matches("avc1\\.[0-9a-f]{6},mp4a\\.40\\.34");
        assertThat(MediaTools.decodeErrors(out.segments().get(0).file().toString())).isEmpty();
    }

    @Test
    void aCodecHlsCannotCarryIsRefusedByName(@TempDir Path dir) {
        Path nelly = flv(dir, "nellymoser");
        assertThatThrownBy(() -> new HlsSegmenter(6000).segment(nelly, dir.resolve("seg"), 4000))
                .isInstanceOf(UnsupportedCodecException.class).hasMessageContaining("nellymoser").hasMessageContaining("AAC, MP3, Opus");
    }

    @Test
    void picturesTakenWhileSegmentingAreTheOnesASeparateReadTakes(@TempDir Path dir) throws Exception {
        Path flv = dir.resolve("slice.flv");
        MediaTools.makeFlv(flv, 640, 360, 30, 10);
        Thumbnailer thumbnailer = new Thumbnailer(2000, 160, 5, 640);
        Thumbnailer.Sheet alone = thumbnailer.sheet(flv, Long.MIN_VALUE, true);
        Thumbnailer.Sheet during;
        try (Thumbnailer.Pass pass = thumbnailer.pass(Long.MIN_VALUE, true)) {
            SegmentedSlice out = new HlsSegmenter(6000).segment(flv, dir.resolve("seg"), 10_000, pass);
            assertThat(out.segments()).hasSize(2);
            during = pass.finish();
        }
        assertThat(alone.cues()).as("a picture every 2 s of 10 s").hasSize(5);
        assertThat(during.cues()).isEqualTo(alone.cues());
        assertThat(during.lastKeyframeMillis()).isEqualTo(alone.lastKeyframeMillis());
        assertThat(during.jpeg()).isEqualTo(alone.jpeg());
        assertThat(during.posterJpeg()).isEqualTo(alone.posterJpeg());
    }

    @Test
    void picturesThatCannotBeMadeLeaveTheSegmentsAsTheyAre(@TempDir Path dir) throws Exception {
        Path flv = dir.resolve("slice.flv");
        MediaTools.makeFlv(flv, 640, 360, 30, 10);
        SegmentedSlice plain = new HlsSegmenter(6000).segment(flv, dir.resolve("plain"), 10_000);
        // A thumbnail width of 0 cannot be drawn: every picture fails.
        try (Thumbnailer.Pass pass = new Thumbnailer(2000, 0, 5, 640).pass(Long.MIN_VALUE, false)) {
            SegmentedSlice out = new HlsSegmenter(6000).segment(flv, dir.resolve("seg"), 10_000, pass);
            assertThat(out.segments()).hasSameSizeAs(plain.segments());
            for (int i = 0; i < out.segments().size(); i++) {
                assertThat(Files.readAllBytes(out.segments().get(i).file())).isEqualTo(Files.readAllBytes(plain.segments().get(i).file()));
            }
            assertThatThrownBy(pass::finish).isInstanceOf(IllegalArgumentException.class);
        }
    }

    /**
     * Picture sizes that real publishers send, odd ones (4:4:4) among them: segmenting, thumbnails and the poster
     * through libavformat, libavcodec and libswscale with glibc's heap checks on (failsafe sets MALLOC_CHECK_ and
     * MALLOC_PERTURB_): nothing aborts, every segment decodes, every picture decodes at its size and shows the frame.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("dev.tapedeck.testkit.MediaTools#pictureSizes")
    void oddPictureSizesAreSegmentedAndPicturedAtTheirSize(int[] size, @TempDir Path dir) throws Exception {
        int width = size[0];
        int height = size[1];
        Path flv = dir.resolve("slice.flv");
        MediaTools.makeFlv(flv, width, height, "25", 4, MediaTools.Encoder.X264_DEFAULTS);
        Thumbnailer.Sheet sheet;
        SegmentedSlice out;
        try (Thumbnailer.Pass pass = new Thumbnailer(2000, 160, 5, 640).pass(Long.MIN_VALUE, true)) {
            out = new HlsSegmenter(2000).segment(flv, dir.resolve("seg"), 4_000, pass);
            sheet = pass.finish();
        }
        assertThat(out.info().width()).isEqualTo(width);
        assertThat(out.info().height()).isEqualTo(height);
        assertThat(out.segments()).hasSize(2);
        for (Segment s : out.segments()) {
            assertThat(MediaTools.decodeErrors(s.file().toString())).as(s.file().toString()).isEmpty();
        }
        int thumbHeight = Math.max(2, (int) Math.round(height * 160.0 / width / 2) * 2);
        assertThat(sheet.cues()).as("a picture every 2 s of 4 s").hasSize(2)
                .allSatisfy(c -> assertThat(List.of(c.width(), c.height())).containsExactly(160, thumbHeight));
        java.awt.image.BufferedImage jpeg = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(sheet.jpeg()));
        assertThat(List.of(jpeg.getWidth(), jpeg.getHeight())).containsExactly(2 * 160, thumbHeight);
        java.awt.image.BufferedImage poster = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(sheet.posterJpeg()));
        int posterWidth = Math.min(640, width);
        assertThat(poster.getWidth()).isEqualTo(posterWidth);
        // The poster is the first frame as FFmpeg decodes it: a wrong row stride would shear it.
        java.awt.image.BufferedImage expected = PackagerIT.frameAt(flv, 0, poster.getWidth(), poster.getHeight());
        assertThat(PackagerIT.difference(poster, expected)).as("mean luma difference from FFmpeg's frame").isLessThan(6);
    }

    /**
     * A source with B-frames and a rung without them, as the transcoder makes one: the keyframe that opens a segment is
     * read earlier in the source (decode order) than in the rung, yet both split their audio at the keyframe's
     * presentation time, so a rung's segments and the source's (a rung's gaps) follow each other with no audio twice:
     * rung, source, rung decodes without an error.
     */
    @Test
    void everyRenditionSplitsItsAudioAtTheKeyframesPresentationTime(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("source.flv");
        Path rung = dir.resolve("rung.flv");
        MediaTools.makeFlv(source, 640, 360, "30", 6, MediaTools.Encoder.X264_DEFAULTS);
        MediaTools.makeRung(source, rung, 320, 180);
        SegmentedSlice a = new HlsSegmenter(2000).segment(source, dir.resolve("source"), 6_000);
        SegmentedSlice b = new HlsSegmenter(2000).segment(rung, dir.resolve("rung"), 6_067);
        assertThat(a.segments()).hasSize(3).hasSameSizeAs(b.segments());
        for (int k = 0; k < a.segments().size(); k++) {
            assertThat(audioTimes(b.segments().get(k).file())).as("segment %d: the same audio packets", k)
                    .isEqualTo(audioTimes(a.segments().get(k).file()));
        }
        Path mixed = dir.resolve("mixed.ts");
        try (var outStream = Files.newOutputStream(mixed)) {
            outStream.write(Files.readAllBytes(b.segments().get(0).file()));
            outStream.write(Files.readAllBytes(a.segments().get(1).file()));
            outStream.write(Files.readAllBytes(b.segments().get(2).file()));
        }
        assertThat(MediaTools.decodeErrors(mixed.toString())).as("a rung's segment, the source's, the rung's").isEmpty();
    }

    static List<String> audioTimes(Path segment) {
        return MediaTools.probe(segment.toString(), "-select_streams", "a", "-show_entries", "packet=pts_time");
    }
}
