package dev.tapedeck.packager.media;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_HEVC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MP3;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_OPUS;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_get_name;
import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_AUDIO;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;

import dev.tapedeck.contract.CutGrid;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
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
        Files.createDirectories(outDir);
        List<Segment> segments = new ArrayList<>();
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(slice.toFile())) {
            grabber.start();
            AVFormatContext in = grabber.getFormatContext();
            MediaInfo info = info(in);
            if (format == SegmentFormat.FMP4 && Codecs.MP3.equals(info.audioCodecs())) {
                // MP3 in an MP4 sample entry is object type 0x6B (RFC 6381), not the MPEG-TS convention.
                info = new MediaInfo(info.width(), info.height(), info.videoCodecs(), Codecs.MP3_IN_MP4);
            }
            boolean hasVideo = grabber.getVideoStream() >= 0;
            FFmpegFrameRecorder out = null;
            Path file = null;
            long segStart = 0;
            int frames = 0;
            CutGrid grid = new CutGrid(targetMillis);
            try {
                AVPacket pkt;
                while ((pkt = grabber.grabPacket()) != null) {
                    AVStream stream = in.streams(pkt.stream_index());
                    int type = stream.codecpar().codec_type();
                    long ts = pkt.dts() != AV_NOPTS_VALUE ? pkt.dts() : pkt.pts();
                    if ((type != AVMEDIA_TYPE_VIDEO && type != AVMEDIA_TYPE_AUDIO) || ts == AV_NOPTS_VALUE) {
                        continue;
                    }
                    long dts = millis(ts, stream.time_base());
                    boolean key = type == AVMEDIA_TYPE_VIDEO ? (pkt.flags() & AV_PKT_FLAG_KEY) != 0 : !hasVideo;
                    long cutTime = key && pkt.pts() != AV_NOPTS_VALUE ? millis(pkt.pts(), stream.time_base()) : dts;
                    boolean cut = grid.cutBefore(cutTime, key);
                    if (out == null || cut) {
                        if (out != null) {
                            segments.add(finish(out, file, segStart, dts - segStart, frames));
                        }
                        file = outDir.resolve(segments.size() + "." + format.extension());
                        out = open(file, grabber);
                        segStart = dts;
                        frames = 0;
                    }
                    if (type == AVMEDIA_TYPE_VIDEO) {
                        frames++;
                    }
                    out.recordPacket(pkt);
                }
                if (out != null) {
                    segments.add(finish(out, file, segStart, Math.max(0, endMillis - segStart), frames));
                    out = null;
                }
            } finally {
                if (out != null) {
                    out.close();
                }
            }
            return new SegmentedSlice(segments, info);
        }
    }

    private FFmpegFrameRecorder open(Path file, FFmpegFrameGrabber grabber) throws IOException {
        FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toFile(), grabber.getImageWidth(), grabber.getImageHeight(),
                grabber.getAudioChannels());
        // Timestamps pass through unchanged, so segments of consecutive slices continue each other.
        if (format == SegmentFormat.FMP4) {
            r.setFormat("mp4");
            // A CMAF fragment per keyframe after an empty moov; frag_discont and no shift to zero keep the stream's
            // timestamps as each fragment's base media decode time; bitexact keeps the moov the same in every file.
            r.setOption("movflags", "+cmaf+frag_keyframe+empty_moov+default_base_moof+frag_discont+skip_trailer");
            r.setOption("avoid_negative_ts", "disabled");
            r.setOption("fflags", "+bitexact");
        } else {
            r.setFormat("mpegts");
        }
        r.start(grabber.getFormatContext());
        return r;
    }

    private Segment finish(FFmpegFrameRecorder r, Path file, long start, long duration, int frames) throws IOException {
        r.stop();
        r.release();
        Path init = format == SegmentFormat.FMP4 ? Fmp4.splitInit(file) : null;
        return new Segment(file, start, duration, Files.size(file), frames, init);
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
