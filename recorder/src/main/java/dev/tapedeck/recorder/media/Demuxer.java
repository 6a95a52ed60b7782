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
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * An FFmpeg input read packet by packet, without decoding, whose every blocking step (open, probing, each read) can
 * be interrupted.
 * <p>
 * FFmpeg asks its interrupt callback before every network read and about every 100 ms while one waits: hundreds of
 * times a second per stream. A Java callback would cost a native-to-Java call each time (a quarter of the pulls' CPU
 * at 50 streams, {@code infra/bench/record.sh}). Instead the callback is the C library's {@code strlen} over a
 * two-byte native flag: it returns 0 while the flag is clear and 1 once it is set, without leaving native code
 * ({@code strlen}'s one pointer argument and its return value sit where FFmpeg passes {@code opaque} and reads the
 * callback's {@code int}, on x86-64 and on AArch64). {@link InterruptTicker} asks {@code interrupted} every 100 ms
 * and sets the flag.
 */
final class Demuxer implements AutoCloseable {
    static {
        avformat_network_init();
    }

    /** {@code strlen}, called by FFmpeg as {@code int (*)(void *opaque)}. */
    private static final Pointer STRLEN = strlen();

    private static Pointer strlen() {
        Pointer p = org.bytedeco.javacpp.Loader.addressof("strlen");
        if (p == null || p.isNull()) {
            throw new IllegalStateException("strlen is not among the process's symbols");
        }
        return p;
    }

    private final AVFormatContext ic;
    /** The interrupt flag: two zero bytes; the first becomes non-zero to interrupt. Freed after the input closes. */
    private final org.bytedeco.javacpp.BytePointer flag;
    private final InterruptTicker.Watch watch;
    private final AVPacket pkt = av_packet_alloc();
    private String lastError;

    private Demuxer(AVFormatContext ic, org.bytedeco.javacpp.BytePointer flag, InterruptTicker.Watch watch) {
        this.ic = ic;
        this.flag = flag;
        this.watch = watch;
    }

    /** Opens and probes the input; once {@code interrupted} says true (asked every 100 ms), any wait gives up. */
    static Demuxer open(String input, Map<String, String> options, BooleanSupplier interrupted) throws IOException {
        org.bytedeco.javacpp.BytePointer flag = new org.bytedeco.javacpp.BytePointer(new byte[2]);
        InterruptTicker.Watch watch = InterruptTicker.watch(interrupted, () -> flag.put(0, (byte) 1));
        AVFormatContext ic = avformat_alloc_context();
        // AVIOInterruptCB is {int (*callback)(void *); void *opaque;} (avio.h): written as two pointers, so FFmpeg calls
        // strlen itself, not a Java upcall.
        new PointerPointer<>(ic.interrupt_callback()).put(0, STRLEN).put(1, flag);
        AVDictionary opts = new AVDictionary(null);
        options.forEach((k, v) -> av_dict_set(opts, k, v, 0));
        int ret = avformat_open_input(ic, input, null, opts);
        av_dict_free(opts);
        if (ret < 0) {
            // avformat_open_input frees the context when it fails.
            watch.close();
            flag.close();
            throw new IOException("cannot open " + input + ": " + error(ret));
        }
        ret = avformat_find_stream_info(ic, (PointerPointer<?>) null);
        if (ret < 0) {
            avformat_close_input(ic);
            watch.close();
            flag.close();
            throw new IOException("cannot read the streams of " + input + ": " + error(ret));
        }
        return new Demuxer(ic, flag, watch);
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

    boolean hasAudio() {
        return first(AVMEDIA_TYPE_AUDIO) != null;
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
        watch.close();
        flag.close();
    }
}
