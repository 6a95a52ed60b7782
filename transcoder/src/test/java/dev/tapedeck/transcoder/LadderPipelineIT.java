package dev.tapedeck.transcoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.tapedeck.contract.Ladder;
import dev.tapedeck.contract.TimestampRebaser;
import dev.tapedeck.testkit.FlvTags;
import dev.tapedeck.testkit.MediaTools;
import dev.tapedeck.transcoder.worker.LadderPipeline;
import dev.tapedeck.transcoder.worker.WorkerException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class LadderPipelineIT {

    /** The packets a read of these tags hands on: from the first video keyframe (sequence headers do not count). */
    static List<FlvTags.Tag> fromFirstKeyframe(List<FlvTags.Tag> tags) {
        for (int i = 0; i < tags.size(); i++) {
            FlvTags.Tag t = tags.get(i);
            if (t.type() == FlvTags.VIDEO && (t.data()[0] >> 4) == 1 && t.data()[1] == 1) {
                return tags.subList(i, tags.size());
            }
        }
        return List.of();
    }

    static List<String> keyframeTimes(Path file) {
        return MediaTools.probe(file.toString(), "-select_streams", "v", "-show_entries", "packet=pts_time,flags").stream()
                .filter(l -> l.contains("K")).map(l -> l.split(",")[0]).toList();
    }

    /** Runs the ladder on {@code source}, writing rung {@code r} to {@code dir/r.flv}. */
    static LadderPipeline.Result runInto(Path dir, Path source, Ladder ladder) {
        return new LadderPipeline(source.toString(), ladder, rung -> dir.resolve(rung + ".flv").toString(), 5_000_000)
                .run((f, m, w) -> { });
    }

    @Test
    void fullHdSourceGivesThreeRungsWithTheSourcesKeyframesAndAudio(@TempDir Path dir) {
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 1920, 1080, 30, 6);
        LadderPipeline.Result result = runInto(dir, source, Ladder.DEFAULT);

        assertThat(result.rungs()).containsExactly("720p", "480p", "360p");
        List<String> sourceKeys = keyframeTimes(source);
        assertThat(sourceKeys).hasSizeGreaterThanOrEqualTo(6);
        for (String rung : result.rungs()) {
            Path file = dir.resolve(rung + ".flv");
            assertThat(MediaTools.decodeErrors(file.toString())).as(rung).isEmpty();
            assertThat(MediaTools.probe(file.toString(), "-select_streams", "v", "-show_entries", "stream=width,height"))
                    .containsExactly(switch (rung) {
                        case "720p" -> "1280,720";
                        case "480p" -> "854,480";
                        default -> "640,360";
                    });
            assertThat(MediaTools.probe(file.toString(), "-show_entries", "stream=codec_name")).containsExactlyInAnyOrder("h264", "aac");
            assertThat(keyframeTimes(file)).as("%s keyframes at the source's keyframe times", rung).isEqualTo(sourceKeys);
            assertThat(MediaTools.duration(file.toString())).isCloseTo(MediaTools.duration(source.toString()),
                    org.assertj.core.api.Assertions.within(0.1));
        }
    }

    /**
     * Picture sizes that real publishers send, odd ones (4:4:4) among them, with B-frames, through decoding, scaling and
     * encoding with glibc's heap checks on (failsafe sets MALLOC_CHECK_ and MALLOC_PERTURB_): every rung decodes at the
     * size the ladder gives, with the source's keyframes.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("dev.tapedeck.testkit.MediaTools#pictureSizes")
    void oddPictureSizesGiveEveryRungAtItsSize(int[] size, @TempDir Path dir) {
        int width = size[0];
        int height = size[1];
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, width, height, "25", 2, MediaTools.Encoder.X264_DEFAULTS);
        Ladder ladder = Ladder.parse("720p:2500k,480p:1200k,360p:800k,240p:400k");
        LadderPipeline.Result result = runInto(dir, source, ladder);
        List<Ladder.Output> expected = ladder.forSource(width, height);
        assertThat(result.rungs()).containsExactlyElementsOf(expected.stream().map(Ladder.Output::name).toList()).isNotEmpty();
        List<String> sourceKeys = keyframeTimes(source);
        for (Ladder.Output rung : expected) {
            Path file = dir.resolve(rung.name() + ".flv");
            assertThat(MediaTools.decodeErrors(file.toString())).as(rung.name()).isEmpty();
            assertThat(MediaTools.probe(file.toString(), "-select_streams", "v", "-show_entries", "stream=width,height"))
                    .as(rung.name()).containsExactly(rung.width() + "," + rung.height());
            assertThat(keyframeTimes(file)).as("%s keyframes at the source's keyframe times", rung.name()).isEqualTo(sourceKeys);
        }
    }

    @Test
    void audioThatIsNotAacIsEncodedToAacForEveryRung(@TempDir Path dir) {
        Path source = dir.resolve("mp3.flv");
        MediaTools.Result made = MediaTools.run(120, "ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "4", "-c:v", "libx264", "-g", "30",
                "-pix_fmt", "yuv420p", "-c:a", "libmp3lame", "-ar", "44100", "-f", "flv", "-y", source.toString());
        assertThat(made.exit()).as(made.stderr()).isZero();
        assertThat(MediaTools.probe(source.toString(), "-select_streams", "a", "-show_entries", "stream=codec_name")).containsExactly("mp3");

        LadderPipeline.Result result = runInto(dir, source, Ladder.parse("360p:800k,240p:400k"));
        assertThat(result.rungs()).containsExactly("360p", "240p");
        for (String rung : result.rungs()) {
            Path file = dir.resolve(rung + ".flv");
            assertThat(MediaTools.probe(file.toString(), "-select_streams", "a", "-show_entries", "stream=codec_name,sample_rate"))
                    .as(rung).containsExactly("aac,44100");
            assertThat(MediaTools.decodeErrors(file.toString())).as(rung).isEmpty();
            List<String> audioPackets = MediaTools.probe(file.toString(), "-select_streams", "a", "-show_entries", "packet=pts_time");
            assertThat(audioPackets.size() * 1024 / 44100.0).as("%s carries the whole tone", rung).isCloseTo(4.0,
                    org.assertj.core.api.Assertions.within(0.2));
            assertThat(Double.parseDouble(audioPackets.get(0))).as("audio starts with the video").isLessThan(0.1);
        }
    }

    @Test
    void sdSourceIsNeverUpscaled(@TempDir Path dir) {
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 854, 480, 30, 2);
        LadderPipeline.Result result = runInto(dir, source, Ladder.DEFAULT);
        assertThat(result.rungs()).containsExactly("360p");
        assertThat(Files.exists(dir.resolve("480p.flv"))).isFalse();
    }

    @Test
    void aRungWhosePublishStaysLostGivesUpWhileTheOthersGoOnToTheEnd(@TempDir Path dir) {
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 854, 480, 30, 6);
        // /dev/full opens but refuses every write: the 360p rung loses its publish. With no retry window it gives up
        // at once (the retries themselves: aLostPublishIsOpenedAgain…).
        assertThatThrownBy(() -> new LadderPipeline(source.toString(), Ladder.parse("360p:800k,240p:400k"),
                rung -> rung.equals("360p") ? "/dev/full" : dir.resolve(rung + ".flv").toString(),
                LadderPipeline.Settings.defaults().withPublishRetry(50, 0)).run((f, m, w) -> { }))
                .isInstanceOfSatisfying(WorkerException.class, e -> {
                    assertThat(e.fault()).isEqualTo(WorkerException.Fault.DESTINATION);
                    assertThat(e.code()).isEqualTo("PUBLISH_FAILED");
                    assertThat(e.getMessage()).contains("360p").contains("gave up");
                    assertThat(e.retryable()).isTrue();
                });
        Path other = dir.resolve("240p.flv");
        assertThat(MediaTools.decodeErrors(other.toString())).isEmpty();
        assertThat(MediaTools.duration(other.toString())).as("240p went on to the end").isCloseTo(
                MediaTools.duration(source.toString()), within(0.1));
    }

    @Test
    void aLostPublishIsOpenedAgainAndStartsAtTheSourcesNextKeyframe(@TempDir Path dir) {
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 854, 480, 30, 8);
        AtomicInteger opens = new AtomicInteger();
        Path again = dir.resolve("360p-again.flv");
        LadderPipeline.Result result = new LadderPipeline(source.toString(), Ladder.parse("360p:800k,240p:400k"),
                rung -> !rung.equals("360p") ? dir.resolve(rung + ".flv").toString()
                        : opens.getAndIncrement() == 0 ? "/dev/full" : again.toString(),
                LadderPipeline.Settings.defaults().withPublishRetry(50, 10_000)).run((f, m, w) -> { });

        assertThat(result.republished()).isEqualTo(1);
        assertThat(MediaTools.decodeErrors(again.toString())).isEmpty();
        List<String> keys = keyframeTimes(again);
        assertThat(keyframeTimes(source)).as("the publish opened again starts at a keyframe of the source").contains(keys.get(0));
        List<String> first = MediaTools.probe(again.toString(), "-select_streams", "v", "-read_intervals", "%+#1",
                "-show_entries", "packet=pts_time,flags");
        assertThat(first.get(0)).contains("K");
        assertThat(Double.parseDouble(keys.get(keys.size() - 1))).isEqualTo(Double.parseDouble(keyframeTimes(source)
                .get(keyframeTimes(source).size() - 1)));
        assertThat(MediaTools.duration(dir.resolve("240p.flv").toString())).isCloseTo(MediaTools.duration(source.toString()),
                within(0.1));
    }

    @Test
    void anAudioOnlySourceNeedsNoRungs(@TempDir Path dir) {
        Path source = dir.resolve("radio.flv");
        MediaTools.makeFlv(source, 640, 360, 30, 2, false, true);
        LadderPipeline.Result result = runInto(dir, source, Ladder.DEFAULT);
        assertThat(result.rungs()).isEmpty();
        assertThat(result.note()).isEqualTo("AUDIO_ONLY");
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("radio.flv");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aVideoOnlySourceGivesRungsWithoutAudio(@TempDir Path dir) {
        Path source = dir.resolve("silent.flv");
        MediaTools.makeFlv(source, 854, 480, 30, 3, true, false);
        LadderPipeline.Result result = runInto(dir, source, Ladder.DEFAULT);
        assertThat(result.rungs()).containsExactly("360p");
        Path rung = dir.resolve("360p.flv");
        assertThat(MediaTools.probe(rung.toString(), "-show_entries", "stream=codec_name")).containsExactly("h264");
        assertThat(MediaTools.decodeErrors(rung.toString())).isEmpty();
        assertThat(keyframeTimes(rung)).isEqualTo(keyframeTimes(source));
    }

    @Test
    void timestampsThatRestartOrJumpAreRebasedByTheRecordersRulesNotFatal(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.flv");
        MediaTools.makeFlv(a, 640, 360, 30, 5);
        double part = MediaTools.duration(a.toString()); // 5 s, and the B-frames' delay
        List<FlvTags.Tag> tags = new ArrayList<>(FlvTags.media(FlvTags.read(a), t -> t));
        tags.addAll(FlvTags.media(FlvTags.read(a), t -> t)); // the publisher restarts at 0
        tags.addAll(FlvTags.media(FlvTags.read(a), t -> t + 3_600_000)); // then jumps an hour ahead
        Path source = dir.resolve("faults.flv");
        FlvTags.write(source, tags);

        LadderPipeline.Result result = runInto(dir, source, Ladder.parse("240p:400k"));
        assertThat(result.corrections()).containsEntry("ROLLBACK", 1).containsEntry("FORWARD_JUMP", 1);
        Path rung = dir.resolve("240p.flv");
        assertThat(MediaTools.decodeErrors(rung.toString())).isEmpty();
        for (String stream : List.of("v", "a")) {
            List<Double> dts = MediaTools.probe(rung.toString(), "-select_streams", stream, "-show_entries", "packet=dts_time")
                    .stream().map(Double::parseDouble).toList();
            for (int i = 1; i < dts.size(); i++) {
                assertThat(dts.get(i)).as("%s packet %d rises", stream, i).isGreaterThan(dts.get(i - 1));
            }
            assertThat(dts.get(dts.size() - 1)).as("three 5 s parts, one after the other").isBetween(3 * part - 0.2, 3 * part + 0.2);
        }
        // The recorder's rules on the same packets give the rung's timeline: its keyframes are where the
        // recorder puts the source's.
        TimestampRebaser recorder = new TimestampRebaser(10_000);
        List<String> expected = new ArrayList<>();
        for (FlvTags.Tag t : tags) {
            if (t.data()[1] != 1) {
                continue; // a sequence header or the end of the sequence: no packet
            }
            long dts = recorder.rebase(t.type(), t.timestamp()).dtsMillis();
            if (t.type() == FlvTags.VIDEO && (t.data()[0] >> 4) == 1) {
                // Shown at its rebased DTS plus its composition time (B-frames): the rung's keyframe PTS.
                expected.add(String.format(java.util.Locale.ROOT, "%.6f", (dts + t.compositionTime()) / 1000.0));
            }
        }
        assertThat(keyframeTimes(rung)).isEqualTo(expected);
    }

    @Test
    void audioWithAHoleStaysWithTheSourcesTimeAfterIt(@TempDir Path dir) {
        Path source = dir.resolve("hole.flv");
        // MP3 (encoded to AAC by the worker) with no audio from 8 s to 11 s.
        MediaTools.Result made = MediaTools.run(120, "ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i",
                "testsrc2=size=426x240:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "20",
                "-af", "aselect='not(between(t,8,11))'", "-c:v", "libx264", "-g", "30", "-pix_fmt", "yuv420p",
                "-c:a", "libmp3lame", "-f", "flv", "-y", source.toString());
        assertThat(made.exit()).as(made.stderr()).isZero();
        double[] sourceHole = hole(source);
        assertThat(sourceHole[1] - sourceHole[0]).isGreaterThan(2.9);

        LadderPipeline.Result result = runInto(dir, source, Ladder.parse("180p:300k"));
        assertThat(result.corrections()).containsKey("AUDIO_REANCHORED");
        Path rung = dir.resolve("180p.flv");
        assertThat(MediaTools.decodeErrors(rung.toString())).isEmpty();
        double[] rungHole = hole(rung);
        double frame = 1 / 30.0;
        assertThat(rungHole[1]).as("audio after the hole starts where the source's does").isCloseTo(sourceHole[1], within(frame));
        assertThat(lastEnd(rung, "a")).as("rung audio ends with the source's").isCloseTo(lastEnd(source, "a"), within(frame));
        assertThat(lastEnd(rung, "v")).as("rung video ends with the source's").isCloseTo(lastEnd(source, "v"), within(frame));
    }

    @Test
    @Timeout(900)
    void aThirtyMinuteSourceEndsWithItsAudioAndVideoTogether(@TempDir Path dir) {
        Path source = dir.resolve("long.flv");
        // Generated at full speed, small so that it stays cheap; MP3, so the rung's audio is encoded by the worker.
        MediaTools.Result made = MediaTools.run(600, "ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi", "-i",
                "testsrc2=size=192x108:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "1800",
                "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-pix_fmt", "yuv420p", "-c:a", "libmp3lame", "-b:a", "64k",
                "-f", "flv", "-y", source.toString());
        assertThat(made.exit()).as(made.stderr()).isZero();

        LadderPipeline.Result result = runInto(dir, source, Ladder.parse("72p:100k"));
        assertThat(result.mediaSeconds()).isCloseTo(1800, within(1.0));
        Path rung = dir.resolve("72p.flv");
        double frame = 1 / 30.0;
        assertThat(lastEnd(rung, "v")).as("rung video ends with the source's").isCloseTo(lastEnd(source, "v"), within(frame));
        assertThat(lastEnd(rung, "a")).as("rung audio ends with the source's").isCloseTo(lastEnd(source, "a"), within(frame));
    }

    /** Where the longest silence between two audio packets begins and ends (seconds). */
    static double[] hole(Path file) {
        List<Double> pts = MediaTools.probe(file.toString(), "-select_streams", "a", "-show_entries", "packet=pts_time").stream()
                .map(Double::parseDouble).toList();
        double[] widest = {0, 0};
        for (int i = 1; i < pts.size(); i++) {
            if (pts.get(i) - pts.get(i - 1) > widest[1] - widest[0]) {
                widest = new double[] {pts.get(i - 1), pts.get(i)};
            }
        }
        return widest;
    }

    /** The end of the last packet of stream {@code v} or {@code a}: its pts plus its duration (seconds). */
    static double lastEnd(Path file, String stream) {
        List<String> packets = MediaTools.probe(file.toString(), "-select_streams", stream, "-show_entries",
                "packet=pts_time,duration_time");
        String[] last = packets.get(packets.size() - 1).split(",");
        return Double.parseDouble(last[0]) + (last.length > 1 && !last[1].isBlank() && !last[1].equals("N/A")
                ? Double.parseDouble(last[1]) : 0);
    }

    @Test
    @Timeout(120) // guards against the hang this test is about; the stall itself is 1 s
    void aMediaServerThatAcceptsARungButNeverAnswersFailsTheWorkerInsteadOfHangingIt(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 854, 480, 30, 2);
        try (ServerSocket mute = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try (Socket held = mute.accept()) {
                    Thread.sleep(60_000); // connected, never a byte of RTMP handshake
                } catch (Exception e) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            String url = "rtmp://127.0.0.1:" + mute.getLocalPort() + "/live-abr/x_360p";
            assertThatThrownBy(() -> new LadderPipeline(source.toString(), Ladder.parse("360p:800k"), rung -> url,
                    LadderPipeline.Settings.defaults().withIoTimeout(1_000_000).withPublishRetry(100, 1_000)).run((f, m, w) -> { }))
                    .isInstanceOfSatisfying(WorkerException.class, e -> {
                        assertThat(e.fault()).isEqualTo(WorkerException.Fault.DESTINATION);
                        assertThat(e.code()).isEqualTo("PUBLISH_REFUSED");
                        assertThat(e.retryable()).isTrue();
                    });
            acceptor.interrupt();
        }
    }

    @Test
    @Timeout(120)
    void aSourceWhoseConnectionStallsIsReadAgainAndItsRungsContinueOnTheSameTimeline(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 640, 360, 30, 6);
        List<FlvTags.Tag> whole = FlvTags.media(FlvTags.read(source), t -> t);
        List<FlvTags.Tag> firstPart = whole.stream().filter(t -> t.timestamp() < 3_000).toList();
        Path first = dir.resolve("first.flv");
        FlvTags.write(first, firstPart);
        Path again = dir.resolve("again.flv");
        FlvTags.write(again, whole);

        // A media server over plain TCP: the first connection sends 3 s of the stream and then nothing (a stalled
        // network), the second the publisher's restarted stream whole, then ends it.
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread serving = new Thread(() -> {
                try (Socket stalled = server.accept()) {
                    connections.incrementAndGet();
                    stalled.getOutputStream().write(Files.readAllBytes(first));
                    stalled.getOutputStream().flush();
                    try (Socket next = server.accept()) {
                        connections.incrementAndGet();
                        next.getOutputStream().write(Files.readAllBytes(again));
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, "stalling-source");
            serving.start();
            LadderPipeline.Result result = new LadderPipeline("tcp://127.0.0.1:" + server.getLocalPort(), Ladder.parse("240p:400k"),
                    rung -> dir.resolve(rung + ".flv").toString(),
                    LadderPipeline.Settings.defaults().withIoTimeout(1_000_000).withSourceRetry(100, 10_000)).run((f, m, w) -> { });
            serving.join(10_000);

            assertThat(connections.get()).isEqualTo(2);
            assertThat(result.sourceReread()).isEqualTo(1);
            assertThat(result.corrections()).containsEntry("ROLLBACK", 1);
        }
        Path rung = dir.resolve("240p.flv");
        assertThat(MediaTools.decodeErrors(rung.toString())).isEmpty();
        // Both reads in one rung, each from its first keyframe, on the recorder's timeline of what was read: its
        // keyframes are where the recorder puts those packets' keyframes, and it lasts both parts.
        List<FlvTags.Tag> read = new ArrayList<>(fromFirstKeyframe(firstPart));
        read.addAll(fromFirstKeyframe(whole));
        TimestampRebaser recorder = new TimestampRebaser(10_000);
        List<String> expected = new ArrayList<>();
        for (FlvTags.Tag t : read) {
            if (t.data()[1] != 1) {
                continue;
            }
            long dts = recorder.rebase(t.type(), t.timestamp()).dtsMillis();
            if (t.type() == FlvTags.VIDEO && (t.data()[0] >> 4) == 1) {
                // Shown at its rebased DTS plus its composition time (B-frames): the rung's keyframe PTS.
                expected.add(String.format(java.util.Locale.ROOT, "%.6f", (dts + t.compositionTime()) / 1000.0));
            }
        }
        assertThat(keyframeTimes(rung)).isEqualTo(expected);
        assertThat(MediaTools.duration(rung.toString())).isCloseTo(3 + MediaTools.duration(source.toString()), within(0.2));
    }

    @Test
    @Timeout(120)
    void aSourceWhoseConnectionIsResetAndDoesNotComeBackEndsItsRungsWithWhatWasRead(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("source.flv");
        MediaTools.makeFlv(source, 640, 360, 30, 4);
        Path first = dir.resolve("first.flv");
        FlvTags.write(first, FlvTags.media(FlvTags.read(source), t -> t).stream().filter(t -> t.timestamp() < 2_000).toList());
        AtomicInteger attempts = new AtomicInteger();
        java.util.concurrent.CountDownLatch decoding = new java.util.concurrent.CountDownLatch(1);
        LadderPipeline.Result result;
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread serving = new Thread(() -> {
                try (Socket reset = server.accept()) {
                    reset.getOutputStream().write(Files.readAllBytes(first));
                    reset.getOutputStream().flush();
                    // The reset comes once the worker has opened the source and decodes it: a reset before it read the
                    // header would drop the unread bytes and make this a source that never opened.
                    decoding.await(10, java.util.concurrent.TimeUnit.SECONDS);
                    reset.setSoLinger(true, 0); // closing sends a reset
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                // Then every connection ends at once, with nothing in it: the stream is gone.
                while (!server.isClosed()) {
                    try (Socket empty = server.accept()) {
                        attempts.incrementAndGet();
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            }, "failing-source");
            serving.start();
            result = new LadderPipeline("tcp://127.0.0.1:" + server.getLocalPort(), Ladder.parse("240p:400k"),
                    rung -> dir.resolve(rung + ".flv").toString(),
                    LadderPipeline.Settings.defaults().withIoTimeout(1_000_000).withSourceRetry(100, 1_000)).run((f, m, w) -> decoding.countDown());
        }
        assertThat(attempts.get()).as("the source was asked for again").isPositive();
        assertThat(result.sourceReread()).isZero();
        Path rung = dir.resolve("240p.flv");
        assertThat(MediaTools.decodeErrors(rung.toString())).isEmpty();
        // What the reset left of the first two seconds (a reset drops what was still in flight), and nothing after them.
        assertThat(MediaTools.duration(rung.toString())).isGreaterThan(0).isLessThanOrEqualTo(2.1);
    }

    @Test
    void unreachableSourceIsTheSourcesFaultAndRetryable(@TempDir Path dir) {
        assertThatThrownBy(() -> new LadderPipeline(dir.resolve("missing.flv").toString(), Ladder.DEFAULT,
                rung -> dir.resolve(rung + ".flv").toString(), 1_000_000).run((f, m, w) -> { }))
                .isInstanceOfSatisfying(WorkerException.class, e -> {
                    assertThat(e.fault()).isEqualTo(WorkerException.Fault.SOURCE);
                    assertThat(e.code()).isEqualTo("SOURCE_UNREACHABLE");
                });
    }
}
