package dev.tapedeck.transcoder.worker;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_GLOBAL_HEADER;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder_by_name;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_free_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_open2;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_copy;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_from_context;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_receive_packet;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_send_frame;
import static org.bytedeco.ffmpeg.global.avformat.AVFMT_NOFILE;
import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.av_interleaved_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_trailer;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avformat.avio_closep;
import static org.bytedeco.ffmpeg.global.avformat.avio_open2;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EOF;
import static org.bytedeco.ffmpeg.global.avutil.AV_PICTURE_TYPE_I;
import static org.bytedeco.ffmpeg.global.avutil.AV_PICTURE_TYPE_NONE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;
import static org.bytedeco.ffmpeg.global.avutil.av_opt_set;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BICUBIC;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import dev.tapedeck.contract.Ladder;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * One rung: scales decoded source frames, encodes them with x264 (keyframes exactly where the source
 * has them, nowhere else), copies the source's AAC packets, and publishes FLV with the source's timestamps.
 * Used by one thread at a time ({@link RungThread}).
 */
final class RungEncoder implements AutoCloseable {
    final Ladder.Output rung;
    final String url;
    private final AVFormatContext out;
    private final AVCodecContext encoder;
    private final AVStream videoOut;
    private final AVStream audioOut;
    private final AVRational sourceVideoTb;
    private final AVRational audioTb;
    private final SwsContext scaler;
    private final AVFrame scaled;
    private final AVPacket packet = av_packet_alloc();
    private long frames;

    /**
     * @param audio   the rungs' audio stream (the source's AAC, or the shared AAC encoder's); null for none
     * @param audioTb time base of the audio packets handed to {@link #audio}
     */
    RungEncoder(Ladder.Output rung, String url, AVStream sourceVideo, AVCodecParameters audio, AVRational audioTb, int sourcePixFmt,
            double fps, int ioTimeoutMicros) {
        this.rung = rung;
        this.url = url;
        this.sourceVideoTb = sourceVideo.time_base();
        this.audioTb = audioTb;

        AVCodec x264 = avcodec_find_encoder_by_name("libx264");
        if (x264 == null) {
            throw new WorkerException(WorkerException.Fault.SYSTEM, "NO_ENCODER", "libx264 is not in this FFmpeg build", false);
        }
        encoder = avcodec_alloc_context3(x264);
        encoder.width(rung.width());
        encoder.height(rung.height());
        encoder.pix_fmt(AV_PIX_FMT_YUV420P);
        // Encode in the source's time base: frame timestamps pass through unchanged.
        encoder.time_base(sourceVideo.time_base());
        encoder.framerate(new AVRational().num((int) Math.round(fps * 1000)).den(1000));
        encoder.bit_rate(rung.videoKbps() * 1000L);
        encoder.rc_max_rate(rung.videoKbps() * 1500L);
        encoder.rc_buffer_size(rung.videoKbps() * 2000);
        // Keyframes come only from the source (forced per frame): no GOP limit, no scene cuts.
        encoder.gop_size(100_000);
        // No B-frames: DTS equals PTS, so a rung never starts below the source's first timestamp (the FLV
        // muxer would shift the whole rung) and every packet carries the source's time.
        encoder.max_b_frames(0);
        encoder.flags(encoder.flags() | AV_CODEC_FLAG_GLOBAL_HEADER);
        av_opt_set(encoder.priv_data(), "preset", "veryfast", 0);
        av_opt_set(encoder.priv_data(), "forced-idr", "1", 0);
        av_opt_set(encoder.priv_data(), "x264-params", "scenecut=0", 0);
        check(avcodec_open2(encoder, x264, (AVDictionary) null), "open the x264 encoder");

        AVFormatContext oc = new AVFormatContext(null);
        check(avformat_alloc_output_context2(oc, null, "flv", url), "create the FLV output");
        out = oc;
        videoOut = avformat_new_stream(out, null);
        check(avcodec_parameters_from_context(videoOut.codecpar(), encoder), "copy encoder parameters");
        videoOut.time_base(encoder.time_base());
        if (audio != null) {
            audioOut = avformat_new_stream(out, null);
            check(avcodec_parameters_copy(audioOut.codecpar(), audio), "copy audio parameters");
            audioOut.codecpar().codec_tag(0);
            audioOut.time_base(audioTb);
        } else {
            audioOut = null;
        }
        if ((out.oformat().flags() & AVFMT_NOFILE) == 0) {
            AVIOContext pb = new AVIOContext(null);
            AVDictionary options = new AVDictionary(null);
            if (url.contains("://")) {
                av_dict_set(options, "rw_timeout", String.valueOf(ioTimeoutMicros), 0);
            }
            int r = avio_open2(pb, url, AVIO_FLAG_WRITE, null, options);
            av_dict_free(options);
            if (r < 0) {
                throw new WorkerException(WorkerException.Fault.DESTINATION, "PUBLISH_REFUSED",
                        "cannot publish " + rung.name() + " to " + redact(url) + " (" + FfmpegErrors.describe(r) + ")", true);
            }
            out.pb(pb);
        }
        check(avformat_write_header(out, (AVDictionary) null), "start publishing " + rung.name());

        scaler = sws_getContext(sourceVideo.codecpar().width(), sourceVideo.codecpar().height(), sourcePixFmt,
                rung.width(), rung.height(), AV_PIX_FMT_YUV420P, SWS_BICUBIC, null, null, (DoublePointer) null);
        scaled = av_frame_alloc();
        scaled.format(AV_PIX_FMT_YUV420P);
        scaled.width(rung.width());
        scaled.height(rung.height());
        check(av_frame_get_buffer(scaled, 0), "allocate a frame");
    }

    /** Scales and encodes one decoded source frame; {@code keyframe} forces an IDR frame here. */
    void encode(AVFrame source, long pts, boolean keyframe) {
        check(av_frame_make_writable(scaled), "reuse the frame buffer");
        sws_scale(scaler, new PointerPointer<>(source.data()), source.linesize(), 0, source.height(),
                new PointerPointer<>(scaled.data()), scaled.linesize());
        scaled.pts(pts);
        scaled.pict_type(keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE);
        check(avcodec_send_frame(encoder, scaled), "encode " + rung.name());
        drain();
        frames++;
    }

    /** Writes one AAC packet (a copy of the source's, or of the shared encoder's) into this rung; takes its data. */
    void audio(AVPacket packet) {
        if (audioOut == null) {
            return;
        }
        packet.stream_index(audioOut.index());
        av_packet_rescale_ts(packet, audioTb, audioOut.time_base());
        packet.pos(-1);
        write(packet);
    }

    long frames() {
        return frames;
    }

    private void drain() {
        while (true) {
            int r = avcodec_receive_packet(encoder, packet);
            if (r == AVERROR_EAGAIN() || r == AVERROR_EOF) {
                return;
            }
            check(r, "receive from the " + rung.name() + " encoder");
            packet.stream_index(videoOut.index());
            av_packet_rescale_ts(packet, encoder.time_base(), videoOut.time_base());
            write(packet);
        }
    }

    private void write(AVPacket p) {
        int r = av_interleaved_write_frame(out, p);
        av_packet_unref(p);
        if (r < 0) {
            throw new WorkerException(WorkerException.Fault.DESTINATION, "PUBLISH_FAILED",
                    "publishing " + rung.name() + " to " + redact(url) + " failed (" + FfmpegErrors.describe(r) + ")", true);
        }
    }

    /** Flushes the encoder and ends the publish. */
    void finish() {
        avcodec_send_frame(encoder, null);
        drain();
        av_write_trailer(out);
    }

    @Override
    public void close() {
        if ((out.oformat().flags() & AVFMT_NOFILE) == 0 && out.pb() != null) {
            avio_closep(out.pb());
        }
        avformat_free_context(out);
        avcodec_free_context(encoder);
        sws_freeContext(scaler);
        av_frame_free(scaled);
        av_packet_free(packet);
    }

    private void check(int r, String what) {
        if (r < 0) {
            throw new WorkerException(WorkerException.Fault.SYSTEM, "ENCODER_ERROR", "could not " + what + " for " + rung.name()
                    + " (" + FfmpegErrors.describe(r) + ")", false);
        }
    }

    /** The publish URL without its credential, for messages. */
    static String redact(String url) {
        return url.replaceAll("token=[^&]*", "token=***");
    }
}
