package dev.tapedeck.recorder.media;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_network_init;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;

import java.io.IOException;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOInterruptCB;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * An FFmpeg input read packet by packet, without decoding, whose every blocking step (open, probing, each read) can
 * be interrupted: FFmpeg asks {@code interrupted} about every 100 ms while it waits for the network.
 */
final class Demuxer implements AutoCloseable {
    static {
        avformat_network_init();
    }

    private final AVFormatContext ic;
    /** Held so the callback outlives every call FFmpeg makes to it. */
    private final AVIOInterruptCB.Callback_Pointer interrupt;
    private final AVPacket pkt = av_packet_alloc();
    private String lastError;

    private Demuxer(AVFormatContext ic, AVIOInterruptCB.Callback_Pointer interrupt) {
        this.ic = ic;
        this.interrupt = interrupt;
    }

    /** Opens and probes the input; {@code interrupted} returning true makes any wait give up. */
    static Demuxer open(String input, Map<String, String> options, BooleanSupplier interrupted) throws IOException {
        AVFormatContext ic = avformat_alloc_context();
        AVIOInterruptCB.Callback_Pointer cb = new AVIOInterruptCB.Callback_Pointer() {
            @Override
            public int call(Pointer opaque) {
                return interrupted.getAsBoolean() ? 1 : 0;
            }
        };
        ic.interrupt_callback().callback(cb);
        AVDictionary opts = new AVDictionary(null);
        options.forEach((k, v) -> av_dict_set(opts, k, v, 0));
        int ret = avformat_open_input(ic, input, null, opts);
        av_dict_free(opts);
        if (ret < 0) {
            // avformat_open_input frees the context when it fails.
            throw new IOException("cannot open " + input + ": " + error(ret));
        }
        ret = avformat_find_stream_info(ic, (PointerPointer<?>) null);
        if (ret < 0) {
            avformat_close_input(ic);
            throw new IOException("cannot read the streams of " + input + ": " + error(ret));
        }
        return new Demuxer(ic, cb);
    }

    AVFormatContext context() {
        return ic;
    }

    /** The next packet (valid until the next call), or null when the input ended, failed or was interrupted. */
    AVPacket read() {
        av_packet_unref(pkt);
        int ret = av_read_frame(ic, pkt);
        if (ret < 0) {
            lastError = error(ret);
            return null;
        }
        return pkt;
    }

    /** Why the last {@link #read()} returned null. */
    String lastError() {
        return lastError;
    }

    /** Parameters of the first stream of a media type, or null. */
    AVCodecParameters first(int mediaType) {
        for (int i = 0; i < ic.nb_streams(); i++) {
            AVCodecParameters p = ic.streams(i).codecpar();
            if (p.codec_type() == mediaType) {
                return p;
            }
        }
        return null;
    }

    boolean hasVideo() {
        return first(AVMEDIA_TYPE_VIDEO) != null;
    }

    int audioChannels() {
        AVCodecParameters a = first(AVMEDIA_TYPE_AUDIO);
        return a == null ? 0 : a.ch_layout().nb_channels();
    }

    static String error(int code) {
        byte[] buf = new byte[256];
        av_strerror(code, buf, buf.length);
        int n = 0;
        while (n < buf.length && buf[n] != 0) {
            n++;
        }
        return new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8) + " (" + code + ")";
    }

    @Override
    public void close() {
        av_packet_free(pkt);
        avformat_close_input(ic);
        interrupt.close();
    }
}
