package dev.tapedeck.transcoder.worker;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_to_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_frame;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_packet;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.av_cmp_q;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.avutil.av_q2d;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale_q;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_CORRUPT;

import dev.tapedeck.contract.Ladder;
import dev.tapedeck.contract.TimestampRebaser;
import java.util.Map;
import java.util.TreeMap;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.jboss.logging.Logger;

/**
 * Pulls the source once, decodes its video once, and feeds every rung: each frame is scaled and
 * encoded per rung with the source's timestamp, a keyframe wherever the source had one. Each rung runs
 * on its own thread ({@link RungThread}), so decoding, scaling and the encoders overlap. AAC audio is
 * copied to every rung untouched; other audio is encoded to AAC once and shared by the rungs.
 *
 * <p>What real sources do is corrected, not fatal: timestamps that jump, go back or wrap are rebased by the
 * recorder's rules ({@link TimestampRebaser}, same threshold), so a rung's timeline is the one the recorder
 * makes of its source; a frame without a timestamp, or one not after the previous, gets the next one; a change
 * of size or pixel format rebuilds the rungs' scalers. An audio-only source needs no rungs: the run ends at
 * once. A rung whose publish is lost is published again while the others go on ({@link RungThread}). A source whose
 * connection fails is read again within the reconnect window and the rungs continue at its next keyframe, on the same
 * timeline (a restart of its timestamps is a rollback like any other).
 */
public final class LadderPipeline {
    private static final Logger LOG = Logger.getLogger(LadderPipeline.class);
    /** FFmpeg's AV_FRAME_FLAG_KEY: the decoded frame came from a keyframe. */
    static final int FRAME_FLAG_KEY = 1 << 1;
    private static final AVRational MILLIS = av_make_q(1, 1000);

    /**
     * How the worker treats its network and its source.
     *
     * @param ioTimeoutMicros     how long a network read of the source or write of a rung may stall before it fails
     * @param timestampJumpMillis a source DTS step forward larger than this is a fault (the recorder's {@code timestamp-jump})
     * @param publishRetry        how a rung's lost publish is opened again
     * @param sourceRetry         how the source is read again after its connection failed (not after it ended)
     */
    public record Settings(int ioTimeoutMicros, long timestampJumpMillis, Reconnect publishRetry, Reconnect sourceRetry) {
        public static Settings defaults() {
            return new Settings(15_000_000, 10_000, Reconnect.DEFAULT, Reconnect.DEFAULT);
        }

        public Settings withIoTimeout(int micros) {
            return new Settings(micros, timestampJumpMillis, publishRetry, sourceRetry);
        }

        /** Lost publishes retried after {@code firstDelayMillis} (doubling), for at most {@code windowMillis}. */
        public Settings withPublishRetry(long firstDelayMillis, long windowMillis) {
            return new Settings(ioTimeoutMicros, timestampJumpMillis, publishRetry.with(firstDelayMillis, windowMillis), sourceRetry);
        }

        /** A failed source read again after {@code firstDelayMillis} (doubling), for at most {@code windowMillis}. */
        public Settings withSourceRetry(long firstDelayMillis, long windowMillis) {
            return new Settings(ioTimeoutMicros, timestampJumpMillis, publishRetry, sourceRetry.with(firstDelayMillis, windowMillis));
        }
    }

    /**
     * How a lost connection (a rung's publish, the source) is opened again: first after {@code firstDelayMillis},
     * doubling up to {@code maxDelayMillis}, until {@code windowMillis} have passed since it was lost; then it is given
     * up. The window is the recorder's reconnect window: a publisher back within it continues the same recording.
     */
    public record Reconnect(long firstDelayMillis, long maxDelayMillis, long windowMillis) {
        public static final Reconnect DEFAULT = new Reconnect(1_000, 8_000, 30_000);

        Reconnect with(long firstDelayMillis, long windowMillis) {
            return new Reconnect(firstDelayMillis, Math.max(firstDelayMillis, maxDelayMillis), windowMillis);
        }
    }

    /**
     * What a finished run did.
     *
     * @param rungs         the rungs published; empty when the source needed none
     * @param note          why no rungs were needed ({@code AUDIO_ONLY}), or null
     * @param corrections   source timestamps corrected, by kind: {@code FORWARD_JUMP}, {@code ROLLBACK}, {@code WRAP}
     *                      (rebased), {@code MISSING} (a frame without one), {@code NOT_INCREASING} (not after the previous),
     *                      {@code AUDIO_REANCHORED} (encoded audio put back on the source's time after a hole)
     * @param sourceChanges how often the source's size or pixel format changed
     * @param republished   how often a rung's lost publish was opened again
     * @param sourceReread  how often the source was read again after its connection failed
     */
    public record Result(List<String> rungs, long frames, double mediaSeconds, double wallSeconds, String note,
            Map<String, Integer> corrections, int sourceChanges, int republished, int sourceReread) {
        public double speed() {
            return wallSeconds == 0 ? 0 : mediaSeconds / wallSeconds;
        }
    }

    /** After {@link #finish}: the source counts as ended once no packet came for this long … */
    static final long FINISH_QUIET_MILLIS = 500;
    /** … or at the latest this long after {@link #finish}. */
    static final long FINISH_GRACE_MILLIS = 2_000;

    private final String sourceUrl;
    private final Ladder ladder;
    private final Function<String, String> rungUrl;
    private final Settings settings;
    /** When {@link #finish} was asked ({@link System#nanoTime}), 0 until then. */
    private volatile long finishNanos;
    /** When the last source packet was read. */
    private volatile long lastPacketNanos = System.nanoTime();
    /**
     * FFmpeg's interrupt callback on every source input, asked before each network read and about every 100 ms while one
     * waits: after {@link #finish}, it ends a read that waits for a source that sends nothing more. Kept here so that the
     * callback lives as long as the pipeline.
     */
    private final org.bytedeco.ffmpeg.avformat.AVIOInterruptCB.Callback_Pointer interrupt =
            new org.bytedeco.ffmpeg.avformat.AVIOInterruptCB.Callback_Pointer() {
                @Override
                public int call(org.bytedeco.javacpp.Pointer opaque) {
                    return finishDue() ? 1 : 0;
                }
            };

    /**
     * @param sourceUrl  {@code rtmp://…/live/demo} or a file
     * @param ladder     the rungs wanted; fitted to the source (never upscaled)
     * @param rungUrl    rung name → where to publish it, asked again each time a lost publish is opened again
     * @param ioTimeoutMicros how long a network read of the source or write of a rung may stall before it fails
     */
    public LadderPipeline(String sourceUrl, Ladder ladder, Function<String, String> rungUrl, int ioTimeoutMicros) {
        this(sourceUrl, ladder, rungUrl, Settings.defaults().withIoTimeout(ioTimeoutMicros));
    }

    public LadderPipeline(String sourceUrl, Ladder ladder, Function<String, String> rungUrl, Settings settings) {
        this.sourceUrl = sourceUrl;
        this.ladder = ladder;
        this.rungUrl = rungUrl;
        this.settings = settings;
    }

    /**
     * Asks the run to end as if the source had ended (its publisher unpublished, and the media server may keep the
     * worker's play open and send nothing more: SRS, nginx-rtmp with {@code play_restart off}): the packets in flight are
     * read until none came for {@value #FINISH_QUIET_MILLIS} ms, at the latest {@value #FINISH_GRACE_MILLIS} ms from now;
     * then every rung is flushed and its publish closed, and {@link #run} returns as at the source's end. Any thread.
     */
    public void finish() {
        if (finishNanos == 0) {
            finishNanos = System.nanoTime();
        }
    }

    /** Whether {@link #finish} was asked. */
    public boolean finishing() {
        return finishNanos != 0;
    }

    private boolean finishDue() {
        long asked = finishNanos;
        if (asked == 0) {
            return false;
        }
        long now = System.nanoTime();
        return now - lastPacketNanos > FINISH_QUIET_MILLIS * 1_000_000 || now - asked > FINISH_GRACE_MILLIS * 1_000_000;
    }

    /**
     * Runs until the source ends. A source whose connection fails (reset, or stalled past the I/O timeout) rather than
     * ending is read again within the reconnect window ({@link Settings#sourceRetry}), onto the same rungs.
     */
    public Result run(Progress progress) {
        long t0 = System.nanoTime();
        // The first input stays open to the end: the rungs' encoders hold its stream parameters.
        AVFormatContext first = open(sourceUrl);
        AVFormatContext in = first;
        AVCodecContext decoder = null;
        AacEncoder aac = null;
        List<RungThread> rungs = new ArrayList<>();
        AVPacket pkt = av_packet_alloc();
        AVFrame frame = av_frame_alloc();
        Frames counted = new Frames();
        Map<String, Integer> corrections = new TreeMap<>();
        int reread = 0;
        try {
            int vi = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
            int ai = av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, vi, (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
            if (vi < 0 && ai >= 0) {
                LOG.infof("%s has audio and no video: no rungs to make", sourceUrl);
                return new Result(List.of(), 0, 0, (System.nanoTime() - t0) / 1e9, "AUDIO_ONLY", Map.of(), 0, 0, 0);
            }
            if (vi < 0) {
                throw new WorkerException(WorkerException.Fault.SOURCE, "NO_MEDIA", sourceUrl + " has neither video nor audio", false);
            }
            AVStream video = in.streams(vi);
            AVStream audio = ai >= 0 ? in.streams(ai) : null;
            if (audio != null && audio.codecpar().codec_id() != AV_CODEC_ID_AAC) {
                aac = new AacEncoder(audio);
                LOG.infof("source audio is not AAC: encoding it to AAC once for every rung");
            }
            AVCodecParameters audioParams = audio == null ? null : aac != null ? aac.parameters() : audio.codecpar();
            AVRational audioTb = audio == null ? null : aac != null ? aac.timeBase() : audio.time_base();
            decoder = openDecoder(video);
            int width = video.codecpar().width();
            int height = video.codecpar().height();
            double fps = video.avg_frame_rate().num() > 0 ? av_q2d(video.avg_frame_rate()) : av_q2d(video.r_frame_rate());
            List<Ladder.Output> outputs = ladder.forSource(width, height);
            LOG.infof("source %dx%d @ %.2f fps → %s", width, height, fps, outputs.stream().map(Ladder.Output::name).toList());
            for (Ladder.Output o : outputs) {
                rungs.add(new RungThread(new RungEncoder(o, () -> rungUrl.apply(o.name()), video, audioParams, audioTb, fps,
                        settings.ioTimeoutMicros()), settings.publishRetry()));
            }
            // One frame in the source's time base: the step given to a frame without a timestamp.
            long frameStep = Math.max(1, av_rescale_q(1, fps > 0 ? av_make_q(1000, (int) Math.round(fps * 1000)) : av_make_q(1, 30),
                    video.time_base()));
            TimestampRebaser rebaser = new TimestampRebaser(settings.timestampJumpMillis());
            int r;
            while (true) {
                // Everything starts with the first video keyframe read, like the recorder's slices: audio before it has
                // no picture, and the rebaser sees the packets the recorder sees. So does the source read again.
                boolean keyRead = false;
                while ((r = av_read_frame(in, pkt)) >= 0) {
                    lastPacketNanos = System.nanoTime();
                    try {
                        int index = pkt.stream_index();
                        if (index != vi && (ai < 0 || index != ai)) {
                            continue;
                        }
                        if (!keyRead && (index != vi || (pkt.flags() & AV_PKT_FLAG_KEY) == 0)) {
                            continue;
                        }
                        if ((pkt.flags() & AV_PKT_FLAG_CORRUPT) != 0) {
                            continue;
                        }
                        keyRead = true;
                        // The rebaser knows the streams as 0 (video) and 1 (audio): a source read again may number them otherwise.
                        rebase(pkt, index == vi ? 0 : 1, in.streams(index).time_base(), rebaser, corrections);
                        if (index == vi) {
                            if (avcodec_send_packet(decoder, pkt) < 0) {
                                continue; // a damaged packet: the decoder resynchronizes at the next keyframe
                            }
                            while (avcodec_receive_frame(decoder, frame) >= 0) {
                                try {
                                    hand(frame, rungs, counted, frameStep, corrections);
                                } finally {
                                    av_frame_unref(frame);
                                }
                                if (counted.frames > 0 && counted.frames % 30 == 0) {
                                    progress.report(counted.frames, counted.seconds(video.time_base(), 0),
                                            (System.nanoTime() - t0) / 1e9);
                                    stopIfEveryRungGaveUp(rungs);
                                }
                            }
                        } else if (aac != null) {
                            aac.encode(pkt, encoded -> rungs.forEach(rung -> rung.audio(encoded)));
                        } else {
                            for (RungThread rung : rungs) {
                                rung.audio(pkt);
                            }
                        }
                    } finally {
                        av_packet_unref(pkt);
                    }
                }
                // Demuxers report a failed connection as the end of their input: the I/O context keeps the error.
                int ioError = in.pb() == null ? 0 : in.pb().error();
                int failure = r != AVERROR_EOF && r != AVERROR_EAGAIN() ? r : ioError != 0 && ioError != AVERROR_EOF ? ioError : 0;
                if (failure == 0) {
                    break; // the source ended
                }
                if (finishing()) {
                    LOG.infof("source ended (its publisher unpublished); %d frames read", counted.frames);
                    break;
                }
                // The connection failed (reset, stalled past the I/O timeout): the frames the decoder holds go out, then
                // the source is read again with a fresh decoder, onto the same rungs and the same timeline.
                LOG.warnf("source read failed (%s): reading %s again for up to %d ms", FfmpegErrors.describe(failure), sourceUrl,
                        settings.sourceRetry().windowMillis());
                drain(decoder, frame, rungs, counted, frameStep, corrections);
                avcodec_free_context(decoder);
                decoder = null;
                AVFormatContext next = reopen();
                if (next == null) {
                    break;
                }
                int nvi = av_find_best_stream(next, AVMEDIA_TYPE_VIDEO, -1, -1, (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
                int nai = av_find_best_stream(next, AVMEDIA_TYPE_AUDIO, -1, nvi, (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
                String differs = differs(video, audio, nvi < 0 ? null : next.streams(nvi), nai < 0 ? null : next.streams(nai));
                if (differs != null) {
                    LOG.warnf("%s came back with %s: the rungs end here (a new publish starts a new worker)", sourceUrl, differs);
                    avformat_close_input(next);
                    break;
                }
                if (in != first) {
                    avformat_close_input(in);
                }
                in = next;
                vi = nvi;
                ai = nai;
                decoder = openDecoder(in.streams(vi));
                reread++;
                LOG.infof("%s read again (%d): the rungs continue at its next keyframe", sourceUrl, reread);
            }
            if (decoder != null) {
                drain(decoder, frame, rungs, counted, frameStep, corrections);
            }
            if (aac != null) {
                aac.flush(encoded -> rungs.forEach(rung -> rung.audio(encoded)));
            }
            List<WorkerException> lost = new ArrayList<>();
            for (RungThread rung : rungs) {
                WorkerException gaveUp = rung.finish();
                if (gaveUp != null) {
                    lost.add(gaveUp);
                }
            }
            if (aac != null && aac.reanchored() > 0) {
                corrections.put("AUDIO_REANCHORED", aac.reanchored());
            }
            corrections.putAll(rebaser.counts().entrySet().stream()
                    .collect(java.util.stream.Collectors.toMap(e -> e.getKey().name(), Map.Entry::getValue)));
            if (!corrections.isEmpty()) {
                LOG.warnf("source timestamps corrected: %s", corrections);
            }
            if (!lost.isEmpty()) {
                throw lostRungs(lost);
            }
            int changes = rungs.stream().mapToInt(RungThread::sourceChanges).max().orElse(0);
            int republished = rungs.stream().mapToInt(RungThread::reopened).sum();
            return new Result(outputs.stream().map(Ladder.Output::name).toList(), counted.frames,
                    counted.seconds(video.time_base(), fps), (System.nanoTime() - t0) / 1e9, null, Map.copyOf(corrections), changes,
                    republished, reread);
        } finally {
            for (RungThread rung : rungs) {
                rung.close();
            }
            if (aac != null) {
                aac.close();
            }
            av_frame_free(frame);
            av_packet_free(pkt);
            if (decoder != null) {
                avcodec_free_context(decoder);
            }
            if (in != first) {
                avformat_close_input(in);
            }
            avformat_close_input(first);
        }
    }

    /** Opens the source and reads its streams; fails with a SOURCE fault. */
    private AVFormatContext open(String url) {
        AVFormatContext in = org.bytedeco.ffmpeg.global.avformat.avformat_alloc_context();
        in.interrupt_callback().callback(interrupt);
        AVDictionary options = new AVDictionary(null);
        if (url.contains("://")) {
            av_dict_set(options, "rw_timeout", String.valueOf(settings.ioTimeoutMicros()), 0);
        }
        int r = avformat_open_input(in, url, null, options);
        av_dict_free(options);
        if (r < 0) {
            throw new WorkerException(WorkerException.Fault.SOURCE, "SOURCE_UNREACHABLE",
                    "cannot open " + url + " (" + FfmpegErrors.describe(r) + ")", true);
        }
        if ((r = avformat_find_stream_info(in, (AVDictionary) null)) < 0) {
            avformat_close_input(in);
            throw new WorkerException(WorkerException.Fault.SOURCE, "SOURCE_UNREADABLE", "cannot read " + url
                    + " (" + FfmpegErrors.describe(r) + ")", true);
        }
        return in;
    }

    /**
     * Opens the source again after its connection failed: with backoff, until the reconnect window has passed since the
     * failure. Null when it did not come back.
     */
    private AVFormatContext reopen() {
        Reconnect retry = settings.sourceRetry();
        long since = System.nanoTime();
        long delay = retry.firstDelayMillis();
        WorkerException last = null;
        while ((System.nanoTime() - since) / 1_000_000 < retry.windowMillis()) {
            if (finishing()) {
                return null; // unpublished meanwhile: nothing comes back
            }
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
            delay = Math.min(delay * 2, retry.maxDelayMillis());
            try {
                return open(sourceUrl);
            } catch (WorkerException e) {
                last = e;
            }
        }
        LOG.warnf("%s did not come back within %d ms%s: the rungs end here", sourceUrl, retry.windowMillis(),
                last == null ? "" : " (" + last.getMessage() + ")");
        return null;
    }

    /**
     * What keeps a source read again from continuing the same rungs, or null: the rungs' audio stream and the
     * timestamps handed on were made for the first source's streams.
     */
    static String differs(AVStream video, AVStream audio, AVStream newVideo, AVStream newAudio) {
        if (newVideo == null) {
            return "no video";
        }
        if (newVideo.codecpar().codec_id() != video.codecpar().codec_id()) {
            return "another video codec";
        }
        if (av_cmp_q(newVideo.time_base(), video.time_base()) != 0) {
            return "another video time base";
        }
        if ((audio == null) != (newAudio == null)) {
            return audio == null ? "audio it did not have" : "no audio";
        }
        if (audio != null && (newAudio.codecpar().codec_id() != audio.codecpar().codec_id()
                || newAudio.codecpar().sample_rate() != audio.codecpar().sample_rate()
                || newAudio.codecpar().ch_layout().nb_channels() != audio.codecpar().ch_layout().nb_channels()
                || av_cmp_q(newAudio.time_base(), audio.time_base()) != 0)) {
            return "other audio";
        }
        return null;
    }

    /** A decoder for the source's video, using the cores: decoding is the one step all rungs share. */
    private static AVCodecContext openDecoder(AVStream video) {
        AVCodecContext decoder = avcodec_alloc_context3(avcodec_find_decoder(video.codecpar().codec_id()));
        avcodec_parameters_to_context(decoder, video.codecpar());
        decoder.pkt_timebase(video.time_base());
        decoder.thread_count(0);
        int r = avcodec_open2(decoder, avcodec_find_decoder(video.codecpar().codec_id()), (AVDictionary) null);
        if (r < 0) {
            avcodec_free_context(decoder);
            throw new WorkerException(WorkerException.Fault.SOURCE, "UNSUPPORTED_CODEC", "cannot decode the source video ("
                    + FfmpegErrors.describe(r) + ")", false);
        }
        return decoder;
    }

    /** Hands the frames a decoder still holds to the rungs. */
    private static void drain(AVCodecContext decoder, AVFrame frame, List<RungThread> rungs, Frames counted, long frameStep,
            Map<String, Integer> corrections) {
        avcodec_send_packet(decoder, null);
        while (avcodec_receive_frame(decoder, frame) >= 0) {
            try {
                hand(frame, rungs, counted, frameStep, corrections);
            } finally {
                av_frame_unref(frame);
            }
        }
    }

    /** The frames handed to the rungs so far, and the timestamps of the first and the last. */
    private static final class Frames {
        long frames;
        long firstPts = AV_NOPTS_VALUE;
        long lastPts = AV_NOPTS_VALUE;

        double seconds(AVRational tb, double fps) {
            return firstPts == AV_NOPTS_VALUE ? 0 : (lastPts - firstPts) * av_q2d(tb) + (fps > 0 ? 1 / fps : 0);
        }
    }

    /** Shifts a packet onto the continuous timeline: the same offset for every stream, as the recorder does. */
    private static void rebase(AVPacket pkt, int stream, AVRational tb, TimestampRebaser rebaser, Map<String, Integer> corrections) {
        long ts = pkt.dts() != AV_NOPTS_VALUE ? pkt.dts() : pkt.pts();
        if (ts == AV_NOPTS_VALUE) {
            return; // the decoder's frame gets one (hand)
        }
        TimestampRebaser.Rebased rebased = rebaser.rebase(stream, av_rescale_q(ts, tb, MILLIS));
        if (rebased.fault() != null && rebased.fault() != TimestampRebaser.Fault.WRAP) {
            LOG.warnf("source timestamp %s at %d ms (stream %d): continuing at %d ms", rebased.fault(),
                    av_rescale_q(ts, tb, MILLIS), pkt.stream_index(), rebased.dtsMillis());
        }
        if (rebased.offsetMillis() != 0) {
            long shift = av_rescale_q(rebased.offsetMillis(), MILLIS, tb);
            pkt.dts(pkt.dts() != AV_NOPTS_VALUE ? pkt.dts() + shift : AV_NOPTS_VALUE);
            pkt.pts(pkt.pts() != AV_NOPTS_VALUE ? pkt.pts() + shift : AV_NOPTS_VALUE);
        }
    }

    /**
     * Hands a decoded frame to every rung with a timestamp after the previous one: a frame without one gets the
     * previous plus a frame, one not after the previous gets the previous plus one tick (the encoders need rising
     * timestamps). Rungs start with a keyframe, like the source's slices.
     */
    private static void hand(AVFrame frame, List<RungThread> rungs, Frames counted, long frameStep, Map<String, Integer> corrections) {
        boolean key = (frame.flags() & FRAME_FLAG_KEY) != 0;
        if (counted.frames == 0 && !key) {
            return;
        }
        long pts = frame.best_effort_timestamp() != AV_NOPTS_VALUE ? frame.best_effort_timestamp() : frame.pts();
        if (pts == AV_NOPTS_VALUE) {
            pts = counted.lastPts == AV_NOPTS_VALUE ? 0 : counted.lastPts + frameStep;
            corrections.merge("MISSING", 1, Integer::sum);
        } else if (counted.lastPts != AV_NOPTS_VALUE && pts <= counted.lastPts) {
            pts = counted.lastPts + 1;
            corrections.merge("NOT_INCREASING", 1, Integer::sum);
        }
        for (RungThread rung : rungs) {
            rung.video(frame, pts, key);
        }
        counted.frames++;
        counted.firstPts = counted.firstPts == AV_NOPTS_VALUE ? pts : counted.firstPts;
        counted.lastPts = pts;
    }

    /** Every rung lost its publish for good: nothing left to do. */
    private static void stopIfEveryRungGaveUp(List<RungThread> rungs) {
        if (!rungs.isEmpty() && rungs.stream().allMatch(rung -> rung.gaveUp() != null)) {
            throw lostRungs(rungs.stream().map(RungThread::gaveUp).toList());
        }
    }

    private static WorkerException lostRungs(List<WorkerException> lost) {
        WorkerException first = lost.get(0);
        return new WorkerException(first.fault(), first.code(), lost.size() == 1 ? first.getMessage()
                : lost.size() + " rungs lost their publish: " + lost.stream().map(Throwable::getMessage).toList(), first.retryable());
    }

    /** Progress callback: frames done, media seconds done, wall seconds so far. */
    @FunctionalInterface
    public interface Progress {
        void report(long frames, double mediaSeconds, double wallSeconds);
    }
}
