package dev.tapedeck.recorder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tapedeck.recorder.media.FlvSlicer;
import dev.tapedeck.recorder.media.SliceFile;
import dev.tapedeck.recorder.media.StreamEnd;
import dev.tapedeck.testkit.FlvTags;
import dev.tapedeck.testkit.MediaTools;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlvSlicerIT {

    @Test
    void fileIsCutAtKeyframesIntoSlicesThatEachPlayAndAddUp(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.flv");
        MediaTools.makeFlv(input, 640, 360, 30, 25);
        List<SliceFile> slices = new ArrayList<>();
        StreamEnd end = new FlvSlicer(input.toString(), Map.of(), dir.resolve("spool"), 5000, 0).run(slices::add, t -> null);

        assertThat(end).isEqualTo(StreamEnd.END_OF_INPUT);
        assertThat(slices).hasSize(5);
        long total = 0;
        for (int i = 0; i < slices.size(); i++) {
            SliceFile s = slices.get(i);
            assertThat(s.seq()).isEqualTo(i);
            assertThat(s.firstDtsMillis()).as("cut at the keyframe 5 s after the previous cut")
                    .isEqualTo(slices.get(0).firstDtsMillis() + i * 5000L);
            assertThat(s.keyframes()).isGreaterThanOrEqualTo(5);
            assertThat(MediaTools.decodeErrors(s.file().toString())).as("slice %d decodes on its own", i).isEmpty();
            assertThat(MediaTools.probe(s.file().toString(), "-show_entries", "stream=codec_name"))
                    .containsExactlyInAnyOrder("h264", "aac");
            assertThat(s.media().videoPackets()).as("30 fps for 5 s").isBetween(148, 152);
            assertThat(s.media().audioPackets()).as("48 kHz AAC for 5 s").isBetween(230, 240);
            assertThat(s.media().width()).isEqualTo(640);
            assertThat(s.media().audioCodec()).isEqualTo("mp4a.40.2");
            total += s.durationMillis();
        }
        assertThat(total / 1000.0).isCloseTo(MediaTools.duration(input.toString()), within(0.1));
        assertThat(Files.size(slices.get(0).file())).isGreaterThan(10_000);
    }

    /** A standby's copy of a slice whose first part is stored elsewhere: its rest, from the first keyframe at or after a point. */
    @Test
    void aSliceStartingAtAPointBeginsAtTheFirstKeyframeFromThereAndPlays(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.flv");
        MediaTools.makeFlv(input, 640, 360, 30, 6);
        List<SliceFile> slices = new ArrayList<>();
        long whole = Long.MAX_VALUE / 4;
        new FlvSlicer(input.toString(), Map.of(), dir.resolve("spool"), whole, 7, 10_000, whole, whole).startingAt(2500)
                .run(slices::add, t -> null);

        assertThat(slices).hasSize(1);
        SliceFile rest = slices.get(0);
        assertThat(rest.seq()).isEqualTo(7);
        assertThat(rest.firstDtsMillis()).as("the keyframe at 3 s (one a second)").isEqualTo(3000);
        assertThat(rest.durationMillis()).isBetween(2900L, 3100L);
        assertThat(MediaTools.decodeErrors(rest.file().toString())).isEmpty();
        assertThat(MediaTools.probe(rest.file().toString(), "-show_entries", "stream=codec_name")).containsExactlyInAnyOrder("h264", "aac");
    }

    /**
     * With B-frames a cut's keyframe is read before audio that is shown ahead of it. That audio belongs to the slice before
     * the cut, so a source with B-frames and its rung without them (audio copied, as the transcoder makes one) split their
     * audio at the same presentation time: where a rung's hole is filled with the source's slices, no audio is there twice.
     */
    @Test
    void audioShownBeforeACutsKeyframeStaysInTheSliceBeforeItWhateverTheDecodeDelay(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 640, 360, "30", 7, MediaTools.Encoder.X264_DEFAULTS);
        Path rung = dir.resolve("rung.flv");
        MediaTools.makeRung(source, rung, 320, 180);
        List<SliceFile> sourceSlices = new ArrayList<>();
        new FlvSlicer(source.toString(), Map.of(), dir.resolve("spool-source"), 2000, 0).run(sourceSlices::add, t -> null);
        List<SliceFile> rungSlices = new ArrayList<>();
        new FlvSlicer(rung.toString(), Map.of(), dir.resolve("spool-rung"), 2000, 0).run(rungSlices::add, t -> null);

        assertThat(sourceSlices).hasSize(4).hasSameSizeAs(rungSlices);
        int audio = 0;
        for (int i = 0; i < sourceSlices.size(); i++) {
            List<String> sourceAudio = audioTimes(sourceSlices.get(i).file());
            double keyframe = firstKeyframeTime(sourceSlices.get(i).file());
            assertThat(firstKeyframeTime(rungSlices.get(i).file())).as("slice %d's keyframe is shown at the same time", i)
                    .isEqualTo(keyframe);
            if (i > 0) {
                assertThat(Double.parseDouble(sourceAudio.get(0))).as("slice %d's first audio", i).isGreaterThanOrEqualTo(keyframe);
                assertThat(audioTimes(rungSlices.get(i).file())).as("slice %d's audio in both", i).isEqualTo(sourceAudio);
            }
            if (i + 1 < sourceSlices.size()) {
                assertThat(Double.parseDouble(sourceAudio.get(sourceAudio.size() - 1))).as("slice %d's last audio", i)
                        .isLessThan(firstKeyframeTime(sourceSlices.get(i + 1).file()));
            }
            assertThat(sourceSlices.get(i).media().audioPackets()).isEqualTo(sourceAudio.size());
            audio += sourceAudio.size();
        }
        assertThat(audio).as("every audio packet in one slice").isEqualTo(audioTimes(source).size());
    }

    /** The PTS (seconds, as ffprobe prints them) of a file's audio packets, in order. */
    static List<String> audioTimes(Path file) {
        return MediaTools.probe(file.toString(), "-select_streams", "a", "-show_entries", "packet=pts_time");
    }

    /** The PTS of a file's first video keyframe, in seconds. */
    static double firstKeyframeTime(Path file) {
        return MediaTools.probe(file.toString(), "-select_streams", "v", "-show_entries", "packet=pts_time,flags").stream()
                .filter(l -> l.contains("K")).map(l -> Double.parseDouble(l.substring(0, l.indexOf(',')))).findFirst().orElseThrow();
    }

    /**
     * Picture sizes that real publishers send, odd ones (4:4:4) among them, with B-frames, sliced with glibc's heap checks
     * on (failsafe sets MALLOC_CHECK_ and MALLOC_PERTURB_): every slice decodes on its own at the size it was sent in.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("dev.tapedeck.testkit.MediaTools#pictureSizes")
    void oddPictureSizesAreSlicedIntoSlicesThatPlayAtTheirSize(int[] size, @TempDir Path dir) throws Exception {
        int width = size[0];
        int height = size[1];
        Path input = dir.resolve("in.flv");
        MediaTools.makeFlv(input, width, height, "25", 4, MediaTools.Encoder.X264_DEFAULTS);
        List<SliceFile> slices = new ArrayList<>();
        StreamEnd end = new FlvSlicer(input.toString(), Map.of(), dir.resolve("spool"), 2000, 0).run(slices::add, t -> null);
        assertThat(end).isEqualTo(StreamEnd.END_OF_INPUT);
        assertThat(slices).hasSize(2);
        for (SliceFile s : slices) {
            assertThat(MediaTools.decodeErrors(s.file().toString())).as("slice %d decodes on its own", s.seq()).isEmpty();
            assertThat(MediaTools.probe(s.file().toString(), "-select_streams", "v", "-show_entries", "stream=width,height"))
                    .containsExactly(width + "," + height);
            assertThat(s.media().width()).isEqualTo(width);
            assertThat(s.media().height()).isEqualTo(height);
        }
    }

    @Test
    void aPullWaitingForItsFirstPacketsDoesNotHoldUpOthers(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.flv");
        MediaTools.makeFlv(input, 320, 240, 30, 2);
        // A source that accepts the connection and sends nothing, like a rung whose publisher has not begun.
        Thread stalled;
        try (ServerSocket silent = new ServerSocket(0)) {
            stalled = new Thread(() -> {
                try {
                    new FlvSlicer("tcp://127.0.0.1:" + silent.getLocalPort(), Map.of("rw_timeout", "60000000"),
                            dir.resolve("stalled"), 5000, 0).run(f -> { }, t -> null);
                } catch (Exception expected) {
                    // ends when the socket closes
                }
            });
            stalled.start();
            try (Socket accepted = silent.accept()) {
                List<SliceFile> slices = new ArrayList<>();
                CompletableFuture<StreamEnd> other = CompletableFuture.supplyAsync(() -> {
                    try {
                        return new FlvSlicer(input.toString(), Map.of(), dir.resolve("spool"), 5000, 0).run(slices::add, t -> null);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertThat(other.get(30, TimeUnit.SECONDS)).as("a second pull runs while the first waits").isEqualTo(StreamEnd.END_OF_INPUT);
                assertThat(slices).hasSize(1);
            }
        }
        // With the server gone, the stalled pull (and its reconnect) ends.
        stalled.join(30_000);
        assertThat(stalled.isAlive()).isFalse();
    }

    @Test
    void aPullBlockedOnASilentSourceEndsAsSoonAsItsControlSaysSo(@TempDir Path dir) throws Exception {
        // A media server that keeps the connection open and sends nothing (SRS after the publisher left): the read
        // would block for the whole rw_timeout (60 s here); the control ends it within FFmpeg's ~100 ms polling.
        try (ServerSocket silent = new ServerSocket(0)) {
            java.util.concurrent.atomic.AtomicLong stopAt = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
            CompletableFuture<StreamEnd> pull = CompletableFuture.supplyAsync(() -> {
                try {
                    return new FlvSlicer("tcp://127.0.0.1:" + silent.getLocalPort(), Map.of("rw_timeout", "60000000"),
                            dir.resolve("silent"), 5000, 0).run(f -> { }, last -> System.nanoTime() >= stopAt.get() ? StreamEnd.STOPPED : null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (Socket accepted = silent.accept()) {
                stopAt.set(System.nanoTime());
                assertThat(pull.get(5, TimeUnit.SECONDS)).isEqualTo(StreamEnd.STOPPED);
                System.out.printf("[silent source] pull ended %d ms after its control said stop%n",
                        (System.nanoTime() - stopAt.get()) / 1_000_000);
            }
        }
    }

    @Test
    void aPullWithoutMediaEndsAsIdleWhenItsControlSaysSo(@TempDir Path dir) throws Exception {
        try (ServerSocket silent = new ServerSocket(0)) {
            long began = System.nanoTime();
            CompletableFuture<StreamEnd> pull = CompletableFuture.supplyAsync(() -> {
                try {
                    return new FlvSlicer("tcp://127.0.0.1:" + silent.getLocalPort(), Map.of("rw_timeout", "60000000"),
                            dir.resolve("idle"), 5000, 0).run(f -> { }, last -> last == Long.MIN_VALUE
                            && System.nanoTime() - began > 300_000_000L ? StreamEnd.IDLE : null);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            try (Socket accepted = silent.accept()) {
                assertThat(pull.get(10, TimeUnit.SECONDS)).isEqualTo(StreamEnd.IDLE);
            }
        }
    }

    /** Slices a crafted file at 5 s and checks what every timestamp fault test wants of the result. */
    private static List<SliceFile> sliceAndCheck(Path dir, Path input, double publishedSeconds) throws Exception {
        List<SliceFile> slices = new ArrayList<>();
        new FlvSlicer(input.toString(), Map.of(), dir.resolve("spool"), 5000, 0, 10_000, 10_000, 1L << 30).run(slices::add, t -> null);
        long total = 0;
        for (int i = 0; i < slices.size(); i++) {
            SliceFile s = slices.get(i);
            assertThat(MediaTools.decodeErrors(s.file().toString())).as("slice %d decodes on its own", i).isEmpty();
            if (i > 0) {
                SliceFile prev = slices.get(i - 1);
                assertThat(s.firstDtsMillis()).as("slice %d continues slice %d", i, i - 1)
                        .isBetween(prev.firstDtsMillis() + prev.durationMillis() - 100, prev.firstDtsMillis() + prev.durationMillis() + 100);
            }
            total += s.durationMillis();
        }
        assertThat(total / 1000.0).as("media time of all slices").isCloseTo(publishedSeconds, within(1.0));
        return slices;
    }

    @Test
    void timestampsThatRestartMidStreamContinueInANewMarkedSlice(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.flv");
        MediaTools.makeFlv(a, 640, 360, 30, 10);
        List<FlvTags.Tag> tags = new ArrayList<>(FlvTags.media(FlvTags.read(a), t -> t));
        tags.addAll(FlvTags.media(FlvTags.read(a), t -> t)); // the publisher restarts at 0
        Path input = dir.resolve("restart.flv");
        FlvTags.write(input, tags);

        List<SliceFile> slices = sliceAndCheck(dir, input, 20);
        assertThat(slices).filteredOn(s -> s.media().discontinuityCause() != null).singleElement()
                .satisfies(s -> assertThat(s.media().discontinuityCause()).isEqualTo("TIMESTAMP_ROLLBACK"))
                .satisfies(s -> assertThat(s.firstDtsMillis()).isBetween(9_900L, 10_100L));
        assertThat(slices.stream().mapToInt(s -> s.media().timestampFaults().getOrDefault("ROLLBACK", 0)).sum()).isEqualTo(1);
    }

    @Test
    void aTimestampJumpForwardByAnHourIsClosed(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.flv");
        MediaTools.makeFlv(a, 640, 360, 30, 10);
        List<FlvTags.Tag> tags = new ArrayList<>(FlvTags.media(FlvTags.read(a), t -> t));
        tags.addAll(FlvTags.media(FlvTags.read(a), t -> t + 3_600_000 + 10_000));
        Path input = dir.resolve("jump.flv");
        FlvTags.write(input, tags);

        List<SliceFile> slices = sliceAndCheck(dir, input, 20);
        assertThat(slices).filteredOn(s -> s.media().discontinuityCause() != null).singleElement()
                .satisfies(s -> assertThat(s.media().discontinuityCause()).isEqualTo("TIMESTAMP_FORWARD_JUMP"));
        assertThat(slices.get(slices.size() - 1).lastDtsMillis()).as("no hour-long hole").isLessThan(21_000);
    }

    @Test
    void aStreamStartingJustBelowTheThirtyTwoBitWrapIsRecordedWhole(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.flv");
        MediaTools.makeFlv(a, 640, 360, 30, 12);
        long start = (1L << 32) - 5_000;
        Path input = dir.resolve("wrap.flv");
        FlvTags.write(input, FlvTags.media(FlvTags.read(a), t -> t + start));

        List<SliceFile> slices = sliceAndCheck(dir, input, 12);
        assertThat(slices).as("time goes on across the wrap: no slice is a discontinuity").allMatch(s -> s.media().discontinuityCause() == null);
        // FLV carries 31 bits of milliseconds: a slice above that would wrap inside; the pull is taken from 0.
        assertThat(slices).allMatch(s -> s.lastDtsMillis() < (1L << 31));
    }

    @Test
    void aResolutionChangeStartsASliceWhoseHeaderCarriesTheNewSequenceHeader(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.flv");
        Path b = dir.resolve("b.flv");
        MediaTools.makeFlv(a, 1280, 720, 30, 10);
        MediaTools.makeFlv(b, 854, 480, 30, 10);
        List<FlvTags.Tag> first = FlvTags.media(FlvTags.read(a), t -> t);
        long shift = first.stream().mapToLong(FlvTags.Tag::timestamp).max().orElseThrow() + 33;
        List<FlvTags.Tag> tags = new ArrayList<>(first);
        tags.addAll(FlvTags.media(FlvTags.read(b), t -> t + shift)); // its sequence headers come along mid-stream
        Path input = dir.resolve("change.flv");
        FlvTags.write(input, tags);

        List<SliceFile> slices = sliceAndCheck(dir, input, 20);
        for (SliceFile s : slices) {
            boolean after = s.firstDtsMillis() >= shift - 100;
            String dims = after ? "854,480" : "1280,720";
            assertThat(MediaTools.probe(s.file().toString(), "-select_streams", "v", "-show_entries", "stream=width,height"))
                    .as("slice %d plays at its own size", s.seq()).containsExactly(dims);
            assertThat(s.media().width() + "," + s.media().height()).isEqualTo(dims);
            assertThat(s.media().videoCodec()).startsWith("avc1.64");
        }
        assertThat(slices).filteredOn(s -> s.media().discontinuityCause() != null).singleElement()
                .satisfies(s -> assertThat(s.media().discontinuityCause()).isEqualTo("CODEC_CHANGE"))
                .satisfies(s -> assertThat(s.firstDtsMillis()).isBetween(shift - 100, shift + 100));
    }

    @Test
    void rareKeyframesGiveSlicesCutAtKeyframesThatNeverPassTheMaximum(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("gop20.flv");
        // A 20 s GOP, sliced at 10 s with a 25 s maximum.
        MediaTools.Result made = MediaTools.run(300, "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
                "-t", "45", "-c:v", "libx264", "-preset", "veryfast", "-g", "600", "-keyint_min", "600", "-sc_threshold", "0",
                "-pix_fmt", "yuv420p", "-f", "flv", "-y", input.toString());
        assertThat(made.exit()).as(made.stderr()).isZero();
        List<SliceFile> slices = new ArrayList<>();
        new FlvSlicer(input.toString(), Map.of(), dir.resolve("spool"), 10_000, 0, 10_000, 25_000, 1L << 30).run(slices::add, t -> null);
        assertThat(slices).extracting(SliceFile::firstDtsMillis).as("cut at the keyframes").containsExactly(0L, 20_000L, 40_000L);
        for (SliceFile s : slices) {
            assertThat(s.durationMillis()).isLessThanOrEqualTo(25_000);
            assertThat(s.keyframes()).isEqualTo(1);
            assertThat(MediaTools.decodeErrors(s.file().toString())).isEmpty();
        }
    }

    @Test
    void aSliceThatReachesTheMaximumSizeIsCutAtTheNextKeyframeAndSaysSo(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("in.flv");
        MediaTools.makeFlv(input, 640, 360, 30, 10);
        List<SliceFile> slices = new ArrayList<>();
        long max = Files.size(input) / 4;
        new FlvSlicer(input.toString(), Map.of(), dir.resolve("spool"), 10_000, 0, 10_000, 20_000, max).run(slices::add, t -> null);
        assertThat(slices.size()).as("cut by size, not by the 10 s grid").isGreaterThanOrEqualTo(4);
        assertThat(slices.subList(0, slices.size() - 1)).allMatch(SliceFile::oversize);
        for (SliceFile s : slices) {
            // At most one GOP (1 s of 2.5 Mbit/s) past the maximum.
            assertThat(Files.size(s.file())).isLessThan(max + 600_000);
            assertThat(MediaTools.decodeErrors(s.file().toString())).isEmpty();
        }
    }

    @Test
    void corruptInputFailsWithAClearError(@TempDir Path dir) throws Exception {
        Path input = dir.resolve("garbage.flv");
        Files.write(input, new byte[] {'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0, 42, 42, 42, 42});
        var slicer = new FlvSlicer(input.toString(), Map.of(), dir.resolve("spool"), 5000, 0);
        List<SliceFile> slices = new ArrayList<>();
        assertThatThrownBy(() -> slicer.run(slices::add, t -> null))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining(input.toString());
        assertThat(slices).isEmpty();
    }
}
