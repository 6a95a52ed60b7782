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
 * once. A rung whose publish is lost is published again while the others go on ({@link RungThread}).
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
     */
    public record Settings(int ioTimeoutMicros, long timestampJumpMillis, PublishRetry publishRetry) {
        public static Settings defaults() {
            return new Settings(15_000_000, 10_000, PublishRetry.DEFAULT);
        }

        public Settings withIoTimeout(int micros) {
            return new Settings(micros, timestampJumpMillis, publishRetry);
        }

        /** Lost publishes retried after {@code firstDelayMillis} (doubling), for at most {@code windowMillis}. */
        public Settings withPublishRetry(long firstDelayMillis, long windowMillis) {
            return new Settings(ioTimeoutMicros, timestampJumpMillis,
                    new PublishRetry(firstDelayMillis, Math.max(firstDelayMillis, publishRetry.maxDelayMillis()), windowMillis));
        }
    }

    /**
     * How a rung's lost publish is opened again: first after {@code firstDelayMillis}, doubling up to
     * {@code maxDelayMillis}, until {@code windowMillis} have passed since it was lost; then the rung gives up.
     */
    public record PublishRetry(long firstDelayMillis, long maxDelayMillis, long windowMillis) {
        public static final PublishRetry DEFAULT = new PublishRetry(1_000, 8_000, 30_000);
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
     */
    public record Result(List<String> rungs, long frames, double mediaSeconds, double wallSeconds, String note,
            Map<String, Integer> corrections, int sourceChanges, int republished) {
        public double speed() {
            return wallSeconds == 0 ? 0 : mediaSeconds / wallSeconds;
        }
    }

    private final String sourceUrl;
    private final Ladder ladder;
    private final Function<String, String> rungUrl;
    private final Settings settings;

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

    /** Runs until the source ends. */
    public Result run(Progress progress) {
        long t0 = System.nanoTime();
        AVFormatContext in = new AVFormatContext(null);
        AVDictionary options = new AVDictionary(null);
        if (sourceUrl.contains("://")) {
            av_dict_set(options, "rw_timeout", String.valueOf(settings.ioTimeoutMicros()), 0);
        }
        int r = avformat_open_input(in, sourceUrl, null, options);
        if (r < 0) {
            throw new WorkerException(WorkerException.Fault.SOURCE, "SOURCE_UNREACHABLE",
                    "cannot open " + sourceUrl + " (" + FfmpegErrors.describe(r) + ")", true);
        }
        AVCodecContext decoder = null;
        AacEncoder aac = null;
        List<RungThread> rungs = new ArrayList<>();
        AVPacket pkt = av_packet_alloc();
        AVFrame frame = av_frame_alloc();
        Frames counted = new Frames();
        Map<String, Integer> corrections = new TreeMap<>();
        try {
            if ((r = avformat_find_stream_info(in, (AVDictionary) null)) < 0) {
                throw new WorkerException(WorkerException.Fault.SOURCE, "SOURCE_UNREADABLE", "cannot read " + sourceUrl
                        + " (" + FfmpegErrors.describe(r) + ")", true);
            }
            int vi = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
            int ai = av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, vi, (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
            if (vi < 0 && ai >= 0) {
                LOG.infof("%s has audio and no video: no rungs to make", sourceUrl);
                return new Result(List.of(), 0, 0, (System.nanoTime() - t0) / 1e9, "AUDIO_ONLY", Map.of(), 0, 0);
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
            decoder = avcodec_alloc_context3(avcodec_find_decoder(video.codecpar().codec_id()));
            avcodec_parameters_to_context(decoder, video.codecpar());
            decoder.pkt_timebase(video.time_base());
            // Decoding is the one step all rungs share; let it use the cores.
            decoder.thread_count(0);
            if ((r = avcodec_open2(decoder, avcodec_find_decoder(video.codecpar().codec_id()), (AVDictionary) null)) < 0) {
                throw new WorkerException(WorkerException.Fault.SOURCE, "UNSUPPORTED_CODEC", "cannot decode the source video ("
                        + FfmpegErrors.describe(r) + ")", false);
            }
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
            // Everything starts with the first video keyframe read, like the recorder's slices: audio before it has
            // no picture, and the rebaser sees the packets the recorder sees.
            boolean keyRead = false;
            while ((r = av_read_frame(in, pkt)) >= 0) {
                try {
                    int index = pkt.stream_index();
                    if (index != vi && (audio == null || index != ai)) {
                        continue;
                    }
                    if (!keyRead && (index != vi || (pkt.flags() & AV_PKT_FLAG_KEY) == 0)) {
                        continue;
                    }
                    if ((pkt.flags() & AV_PKT_FLAG_CORRUPT) != 0) {
                        continue;
                    }
                    keyRead = true;
                    rebase(pkt, in.streams(index).time_base(), rebaser, corrections);
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
                                progress.report(counted.frames, counted.seconds(video.time_base(), 0), (System.nanoTime() - t0) / 1e9);
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
            if (r != AVERROR_EOF && r != AVERROR_EAGAIN()) {
                LOG.warnf("source read ended: %s", FfmpegErrors.describe(r));
            }
            avcodec_send_packet(decoder, null);
            while (avcodec_receive_frame(decoder, frame) >= 0) {
                try {
                    hand(frame, rungs, counted, frameStep, corrections);
                } finally {
                    av_frame_unref(frame);
                }
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
                    republished);
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
            avformat_close_input(in);
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
    private static void rebase(AVPacket pkt, AVRational tb, TimestampRebaser rebaser, Map<String, Integer> corrections) {
        long ts = pkt.dts() != AV_NOPTS_VALUE ? pkt.dts() : pkt.pts();
        if (ts == AV_NOPTS_VALUE) {
            return; // the decoder's frame gets one (hand)
        }
        TimestampRebaser.Rebased rebased = rebaser.rebase(pkt.stream_index(), av_rescale_q(ts, tb, MILLIS));
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
