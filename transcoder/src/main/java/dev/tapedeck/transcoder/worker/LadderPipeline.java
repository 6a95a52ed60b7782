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

import dev.tapedeck.contract.Ladder;
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
 */
public final class LadderPipeline {
    private static final Logger LOG = Logger.getLogger(LadderPipeline.class);
    /** FFmpeg's AV_FRAME_FLAG_KEY: the decoded frame came from a keyframe. */
    static final int FRAME_FLAG_KEY = 1 << 1;

    /** What a finished run did. */
    public record Result(List<String> rungs, long frames, double mediaSeconds, double wallSeconds) {
        public double speed() {
            return wallSeconds == 0 ? 0 : mediaSeconds / wallSeconds;
        }
    }

    private final String sourceUrl;
    private final Ladder ladder;
    private final Function<String, String> rungUrl;
    private final int ioTimeoutMicros;

    /**
     * @param sourceUrl  {@code rtmp://…/live/demo} or a file
     * @param ladder     the rungs wanted; fitted to the source (never upscaled)
     * @param rungUrl    rung name → where to publish it
     * @param ioTimeoutMicros how long a network read of the source or write of a rung may stall before the worker fails
     */
    public LadderPipeline(String sourceUrl, Ladder ladder, Function<String, String> rungUrl, int ioTimeoutMicros) {
        this.sourceUrl = sourceUrl;
        this.ladder = ladder;
        this.rungUrl = rungUrl;
        this.ioTimeoutMicros = ioTimeoutMicros;
    }

    /** Runs until the source ends. */
    public Result run(Progress progress) {
        long t0 = System.nanoTime();
        AVFormatContext in = new AVFormatContext(null);
        AVDictionary options = new AVDictionary(null);
        if (sourceUrl.contains("://")) {
            av_dict_set(options, "rw_timeout", String.valueOf(ioTimeoutMicros), 0);
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
        long frames = 0;
        long firstPts = AV_NOPTS_VALUE;
        long lastPts = AV_NOPTS_VALUE;
        try {
            if ((r = avformat_find_stream_info(in, (AVDictionary) null)) < 0) {
                throw new WorkerException(WorkerException.Fault.SOURCE, "SOURCE_UNREADABLE", "cannot read " + sourceUrl
                        + " (" + FfmpegErrors.describe(r) + ")", true);
            }
            int vi = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
            if (vi < 0) {
                throw new WorkerException(WorkerException.Fault.SOURCE, "NO_VIDEO", sourceUrl + " has no video stream", false);
            }
            int ai = av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, vi, (org.bytedeco.ffmpeg.avcodec.AVCodec) null, 0);
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
                rungs.add(new RungThread(new RungEncoder(o, rungUrl.apply(o.name()), video, audioParams, audioTb,
                        decoder.pix_fmt() < 0 ? video.codecpar().format() : decoder.pix_fmt(), fps, ioTimeoutMicros)));
            }
            boolean begun = false;
            // Audio starts with the first video keyframe read, not decoded: the decoder's frame threads hold a few frames back.
            boolean keyRead = false;
            while ((r = av_read_frame(in, pkt)) >= 0) {
                try {
                    if (pkt.stream_index() == vi) {
                        keyRead |= (pkt.flags() & AV_PKT_FLAG_KEY) != 0;
                        if ((avcodec_send_packet(decoder, pkt)) < 0) {
                            continue; // a damaged packet: the decoder resynchronizes at the next keyframe
                        }
                        while (avcodec_receive_frame(decoder, frame) >= 0) {
                            boolean key = (frame.flags() & FRAME_FLAG_KEY) != 0;
                            long pts = frame.best_effort_timestamp() != AV_NOPTS_VALUE ? frame.best_effort_timestamp() : frame.pts();
                            if (!begun && !key) {
                                av_frame_unref(frame);
                                continue; // rungs start with a keyframe, like the source's slices
                            }
                            begun = true;
                            for (RungThread rung : rungs) {
                                rung.video(frame, pts, key);
                            }
                            frames++;
                            firstPts = firstPts == AV_NOPTS_VALUE ? pts : firstPts;
                            lastPts = pts;
                            if (frames % 30 == 0) {
                                progress.report(frames, (lastPts - firstPts) * av_q2d(video.time_base()),
                                        (System.nanoTime() - t0) / 1e9);
                            }
                            av_frame_unref(frame);
                        }
                    } else if (audio != null && pkt.stream_index() == ai && keyRead) {
                        if (aac != null) {
                            aac.encode(pkt, encoded -> rungs.forEach(rung -> rung.audio(encoded)));
                        } else {
                            for (RungThread rung : rungs) {
                                rung.audio(pkt);
                            }
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
                long pts = frame.best_effort_timestamp();
                for (RungThread rung : rungs) {
                    rung.video(frame, pts, (frame.flags() & FRAME_FLAG_KEY) != 0);
                }
                frames++;
                lastPts = pts;
                av_frame_unref(frame);
            }
            if (aac != null) {
                aac.flush(encoded -> rungs.forEach(rung -> rung.audio(encoded)));
            }
            for (RungThread rung : rungs) {
                rung.finish();
            }
            double media = firstPts == AV_NOPTS_VALUE ? 0 : (lastPts - firstPts) * av_q2d(video.time_base()) + (fps > 0 ? 1 / fps : 0);
            return new Result(outputs.stream().map(Ladder.Output::name).toList(), frames, media, (System.nanoTime() - t0) / 1e9);
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

    /** Progress callback: frames done, media seconds done, wall seconds so far. */
    @FunctionalInterface
    public interface Progress {
        void report(long frames, double mediaSeconds, double wallSeconds);
    }
}
