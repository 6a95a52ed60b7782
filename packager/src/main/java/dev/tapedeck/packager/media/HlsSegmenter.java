package dev.tapedeck.packager.media;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_HEVC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MP3;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_OPUS;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_rescale_ts;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_parameters_copy;
import static org.bytedeco.ffmpeg.global.avformat.AVIO_FLAG_WRITE;
import static org.bytedeco.ffmpeg.global.avformat.av_find_best_stream;
import static org.bytedeco.ffmpeg.global.avformat.av_interleaved_write_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_read_frame;
import static org.bytedeco.ffmpeg.global.avformat.av_write_trailer;
import static org.bytedeco.ffmpeg.global.avformat.avformat_alloc_output_context2;
import static org.bytedeco.ffmpeg.global.avformat.avformat_close_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_find_stream_info;
import static org.bytedeco.ffmpeg.global.avformat.avformat_free_context;
import static org.bytedeco.ffmpeg.global.avformat.avformat_new_stream;
import static org.bytedeco.ffmpeg.global.avformat.avformat_open_input;
import static org.bytedeco.ffmpeg.global.avformat.avformat_write_header;
import static org.bytedeco.ffmpeg.global.avformat.avio_closep;
import static org.bytedeco.ffmpeg.global.avformat.avio_open;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_free;
import static org.bytedeco.ffmpeg.global.avutil.av_dict_set;
import static org.bytedeco.ffmpeg.global.avutil.av_strerror;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.av_make_q;
import static org.bytedeco.ffmpeg.global.avutil.av_rescale_q;

import dev.tapedeck.contract.CutGrid;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacv.FFmpegLogCallback;

/**
 * Remuxes one FLV slice into MPEG-TS or fragmented MP4 segments cut by {@link CutGrid} (the first keyframe at or after
 * each multiple of the target duration, in stream time), so every rendition's segments begin at the same
 * keyframes. Keeps the stream's timestamps so segments of consecutive slices continue each other (in fMP4, as each
 * fragment's base media decode time).
 */
public final class HlsSegmenter {
    static {
        FFmpegLogCallback.setLevel(org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR);
        FFmpegLogCallback.set();
    }

    private static final AVRational MILLIS = av_make_q(1, 1000);
    private final long targetMillis;
    private final SegmentFormat format;

    public HlsSegmenter(long targetMillis) {
        this(targetMillis, SegmentFormat.TS);
    }

    public HlsSegmenter(long targetMillis, SegmentFormat format) {
        this.targetMillis = targetMillis;
        this.format = format;
    }

    /**
     * @param slice      the FLV slice
     * @param outDir     where segment files go ({@code 0.ts}, {@code 1.ts} …)
     * @param endMillis  stream time where the slice ends (its first DTS plus its duration); the last
     *                   segment's duration runs to it
     */
    public SegmentedSlice segment(Path slice, Path outDir, long endMillis) throws IOException {
        return segment(slice, outDir, endMillis, null);
    }

    /**
     * As {@link #segment(Path, Path, long)}, showing every packet read to {@code pictures} (when not null) too, so the
     * slice's thumbnails come from the same read instead of a second one.
     */
    public SegmentedSlice segment(Path slice, Path outDir, long endMillis, Thumbnailer.Pass pictures) throws IOException {
        return segment(slice, outDir, endMillis, pictures, 0);
    }

    /**
     * As {@link #segment(Path, Path, long, Thumbnailer.Pass)}, every timestamp moved by {@code shiftMillis} (the
     * recording's timeline moved where the source's timestamps do not continue); {@code endMillis} is on the moved timeline.
     * Segments are still cut on the grid of the slice's own timestamps: the recorder cut its slices there, so a moved
     * slice's segments stay whole instead of a grid line of the moved timeline splitting a short segment off each slice.
     */
    public SegmentedSlice segment(Path slice, Path outDir, long endMillis, Thumbnailer.Pass pictures, long shiftMillis)
            throws IOException {
        Files.createDirectories(outDir);
        List<Segment> segments = new ArrayList<>();
        AVFormatContext in = new AVFormatContext(null);
        check(avformat_open_input(in, slice.toString(), null, null), "open " + slice);
        AVPacket pkt = av_packet_alloc();
        Output out = null;
        Pending previous = null;
        try {
            check(avformat_find_stream_info(in, (PointerPointer<?>) null), "read the streams of " + slice);
            MediaInfo info = info(in);
            if (format == SegmentFormat.FMP4 && Codecs.MP3.equals(info.audioCodecs())) {
                // MP3 in an MP4 sample entry is object type 0x6B (RFC 6381), not the MPEG-TS convention.
                info = new MediaInfo(info.width(), info.height(), info.videoCodecs(), Codecs.MP3_IN_MP4);
            }
            // The first video and the first audio stream are kept, in that order; other streams (data) are not.
            int videoIn = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
            int audioIn = av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, -1, (AVCodec) null, 0);
            int[] map = new int[in.nb_streams()];
            Arrays.fill(map, -1);
            int kept = 0;
            for (int i : new int[] {videoIn, audioIn}) {
                if (i >= 0) {
                    map[i] = kept++;
                }
            }
            boolean hasVideo = videoIn >= 0;
            if (pictures != null) {
                pictures.open(in);
            }
            Path file = null;
            long segStart = 0;
            long segPts = Long.MIN_VALUE;
            int frames = 0;
            // DTS of the segment's first and last video frame: how long its frames run, whatever audio follows them.
            long firstVideo = Long.MIN_VALUE;
            long lastVideo = Long.MIN_VALUE;
            int written = 0;
            // The segment before a video cut stays open for the audio shown before the cut's keyframe: with B-frames the
            // keyframe is read (in decode order) before audio it is shown after, and every rendition, whatever its decode
            // delay, splits its audio at the same presentation time, so a rung's segments and the source's (a rung's gaps)
            // follow each other without audio twice or missing.
            CutGrid grid = new CutGrid(targetMillis);
            long mediaEnd = Long.MIN_VALUE;
            while (av_read_frame(in, pkt) >= 0) {
                try {
                    int index = pkt.stream_index();
                    // A stream that appears after the stream info was read (index beyond the map) is not kept either.
                    if (index >= map.length || map[index] < 0) {
                        continue;
                    }
                    AVStream stream = in.streams(index);
                    if (shiftMillis != 0) {
                        long by = av_rescale_q(shiftMillis, MILLIS, stream.time_base());
                        pkt.pts(pkt.pts() == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : pkt.pts() + by);
                        pkt.dts(pkt.dts() == AV_NOPTS_VALUE ? AV_NOPTS_VALUE : pkt.dts() + by);
                    }
                    long ts = pkt.dts() != AV_NOPTS_VALUE ? pkt.dts() : pkt.pts();
                    if (ts == AV_NOPTS_VALUE) {
                        continue;
                    }
                    if (pictures != null) {
                        pictures.offer(pkt);
                    }
                    boolean isVideo = index == videoIn;
                    long dts = millis(ts, stream.time_base());
                    // Where its last picture ends, not its last decode: a P-frame shown after B-frames that never came (a
                    // killed publisher) is presented later than any decode time, and the next part must not begin before it.
                    long pts = pkt.pts() != AV_NOPTS_VALUE ? millis(pkt.pts(), stream.time_base()) : dts;
                    mediaEnd = Math.max(mediaEnd, Math.max(dts, pts) + Math.max(0, millis(pkt.duration(), stream.time_base())));
                    boolean key = isVideo ? (pkt.flags() & AV_PKT_FLAG_KEY) != 0 : !hasVideo;
                    long cutTime = key ? pts : dts;
                    boolean cut = grid.cutBefore(cutTime - shiftMillis, key);
                    if (out == null || cut) {
                        if (previous != null) {
                            Pending done = previous;
                            previous = null; // freed by its finish, whatever happens there: never twice
                            segments.add(done.finish());
                        }
                        if (out != null) {
                            previous = new Pending(out, file, segStart, segPts, dts - segStart, frames, span(firstVideo, lastVideo),
                                    isVideo ? cutTime : Long.MIN_VALUE);
                            out = null;
                            if (!isVideo) {
                                Pending done = previous;
                                previous = null;
                                segments.add(done.finish());
                            }
                        }
                        file = outDir.resolve(written++ + "." + format.extension());
                        out = open(file, in, videoIn, audioIn);
                        segStart = dts;
                        segPts = Long.MIN_VALUE;
                        frames = 0;
                        firstVideo = Long.MIN_VALUE;
                        lastVideo = Long.MIN_VALUE;
                    }
                    if (previous != null && !isVideo) {
                        if (pts < previous.cutPts) {
                            previous.out.write(pkt, stream, map[index]);
                            continue;
                        }
                        Pending done = previous;
                        previous = null;
                        segments.add(done.finish());
                    }
                    if (segPts == Long.MIN_VALUE && (isVideo && key || !hasVideo)) {
                        segPts = cutTime;
                    }
                    if (isVideo) {
                        frames++;
                        firstVideo = firstVideo == Long.MIN_VALUE ? dts : firstVideo;
                        lastVideo = dts;
                    }
                    out.write(pkt, stream, map[index]);
                } finally {
                    av_packet_unref(pkt);
                }
            }
            if (previous != null) {
                Pending done = previous;
                previous = null;
                segments.add(done.finish());
            }
            if (out != null) {
                Output done = out;
                out = null;
                segments.add(finish(done, file, segStart, segPts, Math.max(0, endMillis - segStart), frames, span(firstVideo, lastVideo)));
            }
            return new SegmentedSlice(segments, info, mediaEnd);
        } finally {
            if (out != null) {
                out.free();
            }
            if (previous != null) {
                previous.out.free();
            }
            av_packet_free(pkt);
            avformat_close_input(in);
        }
    }

    /**
     * A segment whose successor has begun (at a video keyframe shown at {@code cutPts}) and that still takes the audio
     * shown before it. Its duration was fixed at the cut.
     */
    private final class Pending {
        final Output out;
        final Path file;
        final long start;
        final long pts;
        final long duration;
        final int frames;
        final long videoSpan;
        final long cutPts;

        Pending(Output out, Path file, long start, long pts, long duration, int frames, long videoSpan, long cutPts) {
            this.out = out;
            this.file = file;
            this.start = start;
            this.pts = pts;
            this.duration = duration;
            this.frames = frames;
            this.videoSpan = videoSpan;
            this.cutPts = cutPts;
        }

        Segment finish() throws IOException {
            return HlsSegmenter.this.finish(out, file, start, pts, duration, frames, videoSpan);
        }
    }

    /** One segment file being written: a muxer whose streams copy the slice's video and audio, timestamps unchanged. */
    private static final class Output {
        final AVFormatContext context;

        Output(AVFormatContext context) {
            this.context = context;
        }

        /** Writes {@code pkt} of input stream {@code from} to output stream {@code to}; the packet is left empty. */
        void write(AVPacket pkt, AVStream from, int to) throws IOException {
            av_packet_rescale_ts(pkt, from.time_base(), context.streams(to).time_base());
            pkt.stream_index(to);
            pkt.pos(-1);
            check(av_interleaved_write_frame(context, pkt), "write a packet");
        }

        void free() {
            if (context.pb() != null && !context.pb().isNull()) {
                avio_closep(context.pb());
            }
            avformat_free_context(context);
        }
    }

    private Output open(Path file, AVFormatContext in, int videoIn, int audioIn) throws IOException {
        AVFormatContext oc = new AVFormatContext(null);
        check(avformat_alloc_output_context2(oc, null, format == SegmentFormat.FMP4 ? "mp4" : "mpegts", file.toString()),
                "set up the muxer for " + file);
        Output out = new Output(oc);
        AVDictionary options = new AVDictionary(null);
        try {
            for (int i : new int[] {videoIn, audioIn}) {
                if (i < 0) {
                    continue;
                }
                AVStream from = in.streams(i);
                AVStream to = avformat_new_stream(oc, null);
                if (to == null) {
                    throw new IOException("cannot add a stream to " + file);
                }
                check(avcodec_parameters_copy(to.codecpar(), from.codecpar()), "copy the stream parameters");
                to.codecpar().codec_tag(0);
                to.time_base(from.time_base());
                to.avg_frame_rate(from.avg_frame_rate());
            }
            // Timestamps pass through unchanged, so segments of consecutive slices continue each other.
            if (format == SegmentFormat.FMP4) {
                // A CMAF fragment per keyframe after an empty moov; frag_discont and no shift to zero keep the stream's
                // timestamps as each fragment's base media decode time; bitexact keeps the moov the same in every file.
                av_dict_set(options, "movflags", "+cmaf+frag_keyframe+empty_moov+default_base_moof+frag_discont+skip_trailer", 0);
                av_dict_set(options, "avoid_negative_ts", "disabled", 0);
                av_dict_set(options, "fflags", "+bitexact", 0);
            }
            AVIOContext pb = new AVIOContext(null);
            check(avio_open(pb, file.toString(), AVIO_FLAG_WRITE), "create " + file);
            oc.pb(pb);
            check(avformat_write_header(oc, options), "write the header of " + file);
            return out;
        } catch (IOException | RuntimeException e) {
            out.free();
            throw e;
        } finally {
            av_dict_free(options);
        }
    }

    /** @param pts the PTS of the segment's first keyframe, {@link Long#MIN_VALUE} when it has none (its DTS stands in) */
    private Segment finish(Output out, Path file, long start, long pts, long duration, int frames, long videoSpan) throws IOException {
        try {
            check(av_write_trailer(out.context), "finish " + file);
        } finally {
            out.free();
        }
        Path init = format == SegmentFormat.FMP4 ? Fmp4.splitInit(file) : null;
        return new Segment(file, start, pts == Long.MIN_VALUE ? start : pts, duration, Files.size(file), frames, videoSpan, init);
    }

    /** From the first video frame's DTS to the last's; 0 without video. */
    private static long span(long firstVideo, long lastVideo) {
        return firstVideo == Long.MIN_VALUE ? 0 : Math.max(0, lastVideo - firstVideo);
    }

    private static void check(int result, String what) throws IOException {
        if (result < 0) {
            BytePointer text = new BytePointer(256);
            try {
                av_strerror(result, text, 256);
                throw new IOException("cannot " + what + ": " + text.getString() + " (" + result + ")");
            } finally {
                text.deallocate();
            }
        }
    }

    /**
     * The slice's picture size and RFC 6381 codec strings: H.264, HEVC, AAC, MP3 or Opus. Any other codec is refused
     * ({@link UnsupportedCodecException}): HLS players could not play it.
     */
    static MediaInfo info(AVFormatContext in) throws UnsupportedCodecException {
        int width = 0;
        int height = 0;
        String video = null;
        String audio = null;
        for (int i = 0; i < in.nb_streams(); i++) {
            AVCodecParameters p = in.streams(i).codecpar();
            if (p.codec_type() == AVMEDIA_TYPE_VIDEO) {
                width = p.width();
                height = p.height();
                video = switch (p.codec_id()) {
                    case AV_CODEC_ID_H264 -> Codecs.avc1(extradata(p), p.profile(), p.level());
                    case AV_CODEC_ID_HEVC -> Codecs.hvc1(extradata(p), p.profile(), p.level());
                    default -> throw new UnsupportedCodecException("video", avcodec_get_name(p.codec_id()).getString());
                };
            } else if (p.codec_type() == AVMEDIA_TYPE_AUDIO) {
                audio = switch (p.codec_id()) {
                    case AV_CODEC_ID_AAC -> Codecs.mp4a(p.profile());
                    case AV_CODEC_ID_MP3 -> Codecs.MP3;
                    case AV_CODEC_ID_OPUS -> Codecs.OPUS;
                    default -> throw new UnsupportedCodecException("audio", avcodec_get_name(p.codec_id()).getString());
                };
            }
        }
        return new MediaInfo(width, height, video, audio);
    }

    private static byte[] extradata(AVCodecParameters p) {
        if (p.extradata() == null || p.extradata_size() <= 0) {
            return null;
        }
        byte[] extra = new byte[p.extradata_size()];
        p.extradata().get(extra);
        return extra;
    }

    static long millis(long ts, AVRational tb) {
        return ts * 1000L * tb.num() / tb.den();
    }
}
