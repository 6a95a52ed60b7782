package dev.tapedeck.transcoder.worker;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_FLAG_GLOBAL_HEADER;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_clone;
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
import static org.bytedeco.ffmpeg.global.avutil.av_compare_ts;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_make_writable;
import static org.bytedeco.ffmpeg.global.avutil.av_opt_set;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BICUBIC;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import dev.tapedeck.contract.Ladder;
import java.util.function.Supplier;
import org.jboss.logging.Logger;
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
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * One rung: scales decoded source frames, encodes them with x264 (keyframes exactly where the source
 * has them, nowhere else), copies the source's AAC packets, and publishes FLV with the source's timestamps.
 * Used by one thread at a time ({@link RungThread}).
 *
 * <p>The encoder lives as long as the rung; the publish ({@link #open}) may be lost and opened again, and a
 * publish opened again starts with the encoder's next keyframe. The scaler follows the source: a frame of
 * another size or pixel format rebuilds it, and the rung keeps its own size, the picture fitted into it with
 * its aspect ratio kept (black bars where the shapes differ).
 */
final class RungEncoder implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RungEncoder.class);
    /** At most this many audio packets (about 20 s of AAC) wait for a publish's first keyframe. */
    private static final int HELD_AUDIO_MAX = 1_000;

    final Ladder.Output rung;
    private final Supplier<String> urls;
    private final int ioTimeoutMicros;
    private final AVCodecParameters audio;
    private final AVCodecContext encoder;
    private final AVRational audioTb;
    private final AVFrame scaled;
    private final AVPacket packet = av_packet_alloc();
    /** Audio waiting for the first video keyframe of a publish (x264 holds a few frames back). */
    private final java.util.ArrayDeque<AVPacket> heldAudio = new java.util.ArrayDeque<>();
    private String url;
    private AVFormatContext out;
    private AVStream videoOut;
    private AVStream audioOut;
    /** True from an open until the first video keyframe is written: nothing before it would decode. */
    private boolean awaitingKey;
    private SwsContext scaler;
    private int sourceWidth;
    private int sourceHeight;
    private int sourceFormat = -1;
    /** Where the scaled picture goes in the rung's frame: offsets and size (the whole frame unless shapes differ). */
    private int boxX;
    private int boxY;
    private int boxWidth;
    private int boxHeight;
    private int sourceChanges;
    private long frames;

    /**
     * @param urls    where to publish, asked again at every open
     * @param audio   the rungs' audio stream (the source's AAC, or the shared AAC encoder's); null for none
     * @param audioTb time base of the audio packets handed to {@link #audio}
     */
    RungEncoder(Ladder.Output rung, Supplier<String> urls, AVStream sourceVideo, AVCodecParameters audio, AVRational audioTb,
            double fps, int ioTimeoutMicros) {
        this.rung = rung;
        this.urls = urls;
        this.audio = audio;
        this.audioTb = audioTb;
        this.ioTimeoutMicros = ioTimeoutMicros;

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

        scaled = av_frame_alloc();
        scaled.format(AV_PIX_FMT_YUV420P);
        scaled.width(rung.width());
        scaled.height(rung.height());
        check(av_frame_get_buffer(scaled, 0), "allocate a frame");
    }

    /** Whether a publish is open. */
    boolean isOpen() {
        return out != null;
    }

    /**
     * Opens the publish: connects, writes the FLV header. Fails with a DESTINATION fault ({@code PUBLISH_REFUSED})
     * when the media server cannot be reached or refuses the stream.
     */
    void open() {
        url = urls.get();
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
                closeOutput();
                throw new WorkerException(WorkerException.Fault.DESTINATION, "PUBLISH_REFUSED",
                        "cannot publish " + rung.name() + " to " + redact(url) + " (" + FfmpegErrors.describe(r) + ")", true);
            }
            out.pb(pb);
        }
        int r = avformat_write_header(out, (AVDictionary) null);
        if (r < 0) {
            closeOutput();
            throw new WorkerException(WorkerException.Fault.DESTINATION, "PUBLISH_REFUSED",
                    "cannot start publishing " + rung.name() + " to " + redact(url) + " (" + FfmpegErrors.describe(r) + ")", true);
        }
        awaitingKey = true;
    }

    /**
     * Scales and encodes one decoded source frame; {@code keyframe} forces an IDR frame here. Encodes while no
     * publish is open too (the encoder's references stay whole); its packets are then dropped.
     */
    void encode(AVFrame source, long pts, boolean keyframe) {
        check(av_frame_make_writable(scaled), "reuse the frame buffer");
        if (scaler == null || source.width() != sourceWidth || source.height() != sourceHeight || source.format() != sourceFormat) {
            rebuildScaler(source.width(), source.height(), source.format());
        }
        sws_scale(scaler, new PointerPointer<>(source.data()), source.linesize(), 0, source.height(),
                new PointerPointer<>(box(0), box(1), box(2)), scaled.linesize());
        scaled.pts(pts);
        scaled.pict_type(keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE);
        check(avcodec_send_frame(encoder, scaled), "encode " + rung.name());
        drain();
        frames++;
    }

    /**
     * A scaler from the source's current size and pixel format to the rung's size. The picture keeps its aspect
     * ratio: fitted whole into the rung's frame, centred, on black (bars only when the shapes differ by more than 1 %).
     */
    private void rebuildScaler(int width, int height, int format) {
        if (scaler != null) {
            sourceChanges++;
            LOG.infof("%s: the source changed from %dx%d (format %d) to %dx%d (format %d): new scaler", rung.name(), sourceWidth,
                    sourceHeight, sourceFormat, width, height, format);
        }
        double source = (double) width / height;
        double target = (double) rung.width() / rung.height();
        boxWidth = rung.width();
        boxHeight = rung.height();
        if (source > target * 1.01) {
            boxHeight = Math.max(2, (int) Math.round(rung.width() / source / 2) * 2);
        } else if (source < target / 1.01) {
            boxWidth = Math.max(2, (int) Math.round(rung.height() * source / 2) * 2);
        }
        boxX = (rung.width() - boxWidth) / 4 * 2;
        boxY = (rung.height() - boxHeight) / 4 * 2;
        if (boxWidth != rung.width() || boxHeight != rung.height()) {
            // Black in YUV: luma 16, chroma 128. The bars are never written again.
            Pointer.memset(scaled.data(0), 16, (long) scaled.linesize(0) * rung.height());
            Pointer.memset(scaled.data(1), 128, (long) scaled.linesize(1) * (rung.height() / 2));
            Pointer.memset(scaled.data(2), 128, (long) scaled.linesize(2) * (rung.height() / 2));
        }
        scaler = sws_getCachedContext(scaler, width, height, format, boxWidth, boxHeight, AV_PIX_FMT_YUV420P, SWS_BICUBIC,
                null, null, (DoublePointer) null);
        if (scaler == null) {
            throw new WorkerException(WorkerException.Fault.SOURCE, "UNSUPPORTED_FORMAT", "cannot scale " + width + "x" + height
                    + " (pixel format " + format + ") for " + rung.name(), false);
        }
        sourceWidth = width;
        sourceHeight = height;
        sourceFormat = format;
    }

    /** Plane {@code plane} of the rung's frame at the picture's box. */
    private BytePointer box(int plane) {
        int shift = plane == 0 ? 0 : 1;
        long offset = (long) (boxY >> shift) * scaled.linesize(plane) + (boxX >> shift);
        return scaled.data(plane).getPointer(offset);
    }

    /** Writes one AAC packet (a copy of the source's, or of the shared encoder's) into this rung; takes its data. */
    void audio(AVPacket packet) {
        if (audioOut == null) {
            av_packet_unref(packet);
            return;
        }
        if (awaitingKey) {
            // The video's first keyframe is still in the encoder: keep the audio until it is out.
            if (heldAudio.size() >= HELD_AUDIO_MAX) {
                av_packet_free(heldAudio.removeFirst());
            }
            heldAudio.addLast(av_packet_clone(packet));
            av_packet_unref(packet);
            return;
        }
        writeAudio(packet);
    }

    private void writeAudio(AVPacket packet) {
        packet.stream_index(audioOut.index());
        av_packet_rescale_ts(packet, audioTb, audioOut.time_base());
        packet.pos(-1);
        write(packet);
    }

    long frames() {
        return frames;
    }

    /** How often the source's size or pixel format changed under this rung. */
    int sourceChanges() {
        return sourceChanges;
    }

    private void drain() {
        while (true) {
            int r = avcodec_receive_packet(encoder, packet);
            if (r == AVERROR_EAGAIN() || r == AVERROR_EOF) {
                return;
            }
            check(r, "receive from the " + rung.name() + " encoder");
            if (out == null || (awaitingKey && (packet.flags() & AV_PKT_FLAG_KEY) == 0)) {
                av_packet_unref(packet); // no publish, or one that must start with a keyframe
                continue;
            }
            boolean first = awaitingKey;
            awaitingKey = false;
            long keyPts = packet.pts();
            packet.stream_index(videoOut.index());
            av_packet_rescale_ts(packet, encoder.time_base(), videoOut.time_base());
            write(packet);
            if (first) {
                releaseHeldAudio(keyPts);
            }
        }
    }

    /** Writes the audio held while the publish waited for its first keyframe, from that keyframe's time on. */
    private void releaseHeldAudio(long keyPts) {
        while (!heldAudio.isEmpty()) {
            AVPacket a = heldAudio.removeFirst();
            try {
                if (audioOut != null && av_compare_ts(a.pts(), audioTb, keyPts, encoder.time_base()) >= 0) {
                    writeAudio(a);
                }
            } finally {
                av_packet_free(a);
            }
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
        if (out != null) {
            av_write_trailer(out);
        }
    }

    /** Drops the publish (lost, or ending): closes its connection and frees it. */
    void closeOutput() {
        while (!heldAudio.isEmpty()) {
            av_packet_free(heldAudio.removeFirst());
        }
        if (out == null) {
            return;
        }
        if ((out.oformat().flags() & AVFMT_NOFILE) == 0 && out.pb() != null) {
            avio_closep(out.pb());
        }
        avformat_free_context(out);
        out = null;
        videoOut = null;
        audioOut = null;
    }

    @Override
    public void close() {
        closeOutput();
        avcodec_free_context(encoder);
        if (scaler != null) {
            sws_freeContext(scaler);
        }
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
        return url == null ? "?" : url.replaceAll("token=[^&]*", "token=***");
    }
}
