package dev.tapedeck.packager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.tapedeck.packager.media.HlsSegmenter;
import dev.tapedeck.packager.media.Segment;
import dev.tapedeck.packager.media.SegmentedSlice;
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
}
