package dev.tapedeck.packager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tapedeck.packager.media.HlsSegmenter;
import dev.tapedeck.packager.media.Segment;
import dev.tapedeck.packager.media.SegmentedSlice;
import dev.tapedeck.packager.media.UnsupportedCodecException;
import dev.tapedeck.testkit.MediaTools;
import java.nio.file.Path;
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
}
