package dev.tapedeck.recorder.media;

import static org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_copy;
import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.av_interleaved_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_trailer;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avformat.avio_close;
import static org.bytedeco.ffmpeg.global.avformat.avio_open2;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;

import java.io.IOException;
import java.nio.file.Path;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVRational;

/**
 * One FLV file written packet for packet from an input's first video and first audio stream, with FFmpeg's FLV
 * muxer and nothing between: the header carries the input streams' codec parameters (sequence headers included) as
 * they are when the file is opened.
 * <p>
 * Written against libavformat directly rather than through JavaCV's {@code FFmpegFrameRecorder}: that one calls
 * {@code malloc_trim} every time a file is closed, which at 50 recorded streams made the kernel hand back and
 * fault in pages tens of thousands of times a second (the largest CPU cost of recording, {@code infra/bench/record.sh}),
 * and it allocates native memory for every time base it reads, several times per packet.
 */
final class FlvFile implements AutoCloseable {
    private final Path path;
    private final AVFormatContext oc;
    /** Output stream index by input stream index, -1 for a stream that is not written. */
    private final int[] outIndex;
    /** Input and output time bases by input stream index (read once: every JavaCPP accessor of a struct allocates). */
    private final AVRational[] inTb;
    private final AVRational[] outTb;
    private boolean open = true;

    private FlvFile(Path path, AVFormatContext oc, int[] outIndex, AVRational[] inTb, AVRational[] outTb) {
        this.path = path;
        this.oc = oc;
        this.outIndex = outIndex;
        this.inTb = inTb;
        this.outTb = outTb;
    }

    /** Creates {@code path} with a header for {@code in}'s first video and first audio stream. */
    static FlvFile create(Path path, AVFormatContext in) throws IOException {
        AVFormatContext oc = new AVFormatContext(null);
        check(avformat_alloc_output_context2(oc, (org.bytedeco.ffmpeg.avformat.AVOutputFormat) null, "flv", path.toString()), path, "cannot create the FLV muxer");
        int n = in.nb_streams();
        int[] outIndex = new int[n];
        AVRational[] inTb = new AVRational[n];
        AVStream[] out = new AVStream[n];
        boolean video = false;
        boolean audio = false;
        try {
            for (int i = 0; i < n; i++) {
                outIndex[i] = -1;
                AVStream s = in.streams(i);
                int type = s.codecpar().codec_type();
                if (type == AVMEDIA_TYPE_VIDEO && !video || type == AVMEDIA_TYPE_AUDIO && !audio) {
                    video |= type == AVMEDIA_TYPE_VIDEO;
                    audio |= type == AVMEDIA_TYPE_AUDIO;
                    AVStream o = avformat_new_stream(oc, null);
                    if (o == null) {
                        throw new IOException("cannot add a stream to " + path);
                    }
                    check(avcodec_parameters_copy(o.codecpar(), s.codecpar()), path, "cannot copy the codec parameters");
                    // The input's tag (an FLV codec id, an RTMP FourCC) is not the muxer's to check: it chooses its own.
                    o.codecpar().codec_tag(0);
                    AVRational tb = s.time_base();
                    o.time_base(tb);
                    AVRational rate = s.avg_frame_rate();
                    o.avg_frame_rate(rate.num() > 0 ? rate : s.r_frame_rate());
                    inTb[i] = tb;
                    outIndex[i] = o.index();
                    out[i] = o;
                }
            }
            AVIOContext pb = new AVIOContext(null);
            check(avio_open2(pb, path.toString(), AVIO_FLAG_WRITE, (org.bytedeco.ffmpeg.avformat.AVIOInterruptCB) null, (AVDictionary) null), path, "cannot open");
            oc.pb(pb);
            check(avformat_write_header(oc, (AVDictionary) null), path, "cannot write the FLV header of");
        } catch (IOException | RuntimeException e) {
            free(oc);
            throw e;
        }
        AVRational[] outTb = new AVRational[n];
        for (int i = 0; i < n; i++) {
            // The muxer sets its time base (1/1000) when the header is written.
            outTb[i] = out[i] == null ? null : out[i].time_base();
        }
        return new FlvFile(path, oc, outIndex, inTb, outTb);
    }

    /** True when packets of input stream {@code index} go into this file. */
    boolean writes(int index) {
        return index < outIndex.length && outIndex[index] >= 0;
    }

    /**
     * Writes a packet of the input (its timestamps in the input stream's time base); the packet is blank afterwards.
     * A packet of a stream the file does not write is dropped.
     */
    void write(AVPacket pkt) throws IOException {
        int in = pkt.stream_index();
        if (!writes(in)) {
            return;
        }
        av_packet_rescale_ts(pkt, inTb[in], outTb[in]);
        pkt.stream_index(outIndex[in]);
        pkt.pos(-1);
        check(av_interleaved_write_frame(oc, pkt), path, "cannot write a packet to");
    }

    /** Flushes what the muxer holds, writes the trailer and closes the file. */
    @Override
    public void close() throws IOException {
        if (!open) {
            return;
        }
        open = false;
        try {
            check(av_write_trailer(oc), path, "cannot finish");
        } finally {
            free(oc);
        }
    }

    private static void free(AVFormatContext oc) {
        if (oc.pb() != null && !oc.pb().isNull()) {
            avio_close(oc.pb());
            oc.pb(null);
        }
        avformat_free_context(oc);
    }

    private static void check(int ret, Path path, String what) throws IOException {
        if (ret < 0) {
            throw new IOException(what + " " + path + ": " + Demuxer.error(ret));
        }
    }
}
