package dev.tapedeck.packager.media;

import static org.bytedeco.ffmpeg.global.avcodec.AV_PKT_FLAG_KEY;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_alloc;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_free;
import static org.bytedeco.ffmpeg.global.avcodec.av_packet_unref;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_alloc_context3;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_decoder;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_flush_buffers;
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
import static org.bytedeco.ffmpeg.global.avutil.AVERROR_EAGAIN;
import static org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO;
import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_BGR24;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_alloc;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_free;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_get_buffer;
import static org.bytedeco.ffmpeg.global.avutil.av_frame_unref;
import static org.bytedeco.ffmpeg.global.swscale.SWS_BILINEAR;
import static org.bytedeco.ffmpeg.global.swscale.sws_freeContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_getCachedContext;
import static org.bytedeco.ffmpeg.global.swscale.sws_scale;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.ffmpeg.avcodec.AVCodecContext;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.avutil.AVFrame;
import org.bytedeco.ffmpeg.avutil.AVRational;
import org.bytedeco.ffmpeg.swscale.SwsContext;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Pictures of a slice for the thumbnail track: the first keyframe at or after each multiple of the interval (in
 * stream time, so the pictures of consecutive slices follow one grid), decoded alone (only the keyframes kept are
 * decoded, each by itself; every other packet is only read), scaled to the thumbnail width and laid out in one sprite
 * sheet per slice.
 */
public final class Thumbnailer {
    /** A thumbnail's place in its sheet and the stream time of its picture. */
    public record Cue(long startMillis, int x, int y, int width, int height) {
    }

    /**
     * One slice's sheet: JPEG bytes (null when no keyframe fell on the grid), its cues in time order, the first
     * picture at poster size (null unless asked for), and the slice's last keyframe time (the next slice goes on from it).
     */
    public record Sheet(byte[] jpeg, List<Cue> cues, byte[] posterJpeg, long lastKeyframeMillis) {
    }

    private final long intervalMillis;
    private final int thumbWidth;
    private final int columns;
    private final int posterWidth;

    /**
     * @param intervalMillis one picture per this much stream time
     * @param thumbWidth     thumbnail width in pixels (the height keeps the picture's aspect)
     * @param columns        thumbnails per row of a sheet
     * @param posterWidth    the poster's largest width (smaller pictures keep their size)
     */
    public Thumbnailer(long intervalMillis, int thumbWidth, int columns, int posterWidth) {
        this.intervalMillis = intervalMillis;
        this.thumbWidth = thumbWidth;
        this.columns = columns;
        this.posterWidth = posterWidth;
    }

    /**
     * The pictures of the slice in {@code slice} (a file), read on their own.
     *
     * @param previousKeyframeMillis the last keyframe time of the slice before (its pictures are taken), or
     *                               {@link Long#MIN_VALUE} when unknown: the slice's first keyframe is then taken
     * @param poster                 whether to keep the first picture at poster size
     */
    public Sheet sheet(Path slice, long previousKeyframeMillis, boolean poster) throws IOException {
        AVFormatContext in = new AVFormatContext(null);
        check(avformat_open_input(in, slice.toString(), null, null), "open " + slice);
        AVPacket pkt = av_packet_alloc();
        try (Pass pass = pass(previousKeyframeMillis, poster)) {
            check(avformat_find_stream_info(in, (PointerPointer<?>) null), "read the streams of " + slice);
            pass.open(in);
            while (av_read_frame(in, pkt) >= 0) {
                try {
                    pass.offer(pkt);
                } finally {
                    av_packet_unref(pkt);
                }
            }
            return pass.finish();
        } finally {
            av_packet_free(pkt);
            avformat_close_input(in);
        }
    }

    /**
     * A pass over one slice's packets that another reader makes (the segmenter): {@link Pass#open} with the slice's
     * opened input, {@link Pass#offer} every packet as it is read, then {@link Pass#finish}. A picture that cannot be
     * made does not disturb the reader: the pass keeps the error and {@link Pass#finish} throws it.
     *
     * @param previousKeyframeMillis as for {@link #sheet}
     * @param poster                 as for {@link #sheet}
     */
    public Pass pass(long previousKeyframeMillis, boolean poster) {
        return new Pass(previousKeyframeMillis, poster);
    }

    /** Pictures taken from packets as another reader sees them; see {@link #pass}. */
    public final class Pass implements AutoCloseable {
        private final boolean poster;
        private final List<BufferedImage> thumbs = new ArrayList<>();
        private final List<Long> times = new ArrayList<>();
        private final SwsContext[] scaler = {null};
        private long previous;
        private byte[] posterJpeg;
        private int video = -1;
        private AVRational tb;
        private AVCodecContext decoder;
        private AVFrame frame;
        private Exception failure;

        private Pass(long previousKeyframeMillis, boolean poster) {
            this.previous = previousKeyframeMillis;
            this.poster = poster;
        }

        /** Finds the video stream of {@code in} (its stream info read) and opens a decoder for it. */
        public void open(AVFormatContext in) {
            try {
                video = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, (AVCodec) null, 0);
                if (video < 0) {
                    return;
                }
                AVStream stream = in.streams(video);
                tb = stream.time_base();
                AVCodec codec = avcodec_find_decoder(stream.codecpar().codec_id());
                if (codec == null) {
                    throw new IOException("no decoder for the video");
                }
                decoder = avcodec_alloc_context3(codec);
                check(avcodec_parameters_to_context(decoder, stream.codecpar()), "set up the decoder");
                decoder.thread_count(1);
                check(avcodec_open2(decoder, codec, (AVDictionary) null), "open the decoder");
                frame = av_frame_alloc();
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
        }

        /**
         * Looks at one packet of the slice (it is not changed): keyframe packets only, and of those only the ones a
         * picture is taken from are decoded (each alone).
         */
        public void offer(AVPacket pkt) {
            if (failure != null || decoder == null) {
                return;
            }
            try {
                long ts = pkt.pts() != AV_NOPTS_VALUE ? pkt.pts() : pkt.dts();
                if (pkt.stream_index() != video || (pkt.flags() & AV_PKT_FLAG_KEY) == 0 || ts == AV_NOPTS_VALUE) {
                    return;
                }
                long t = ts * 1000L * tb.num() / tb.den();
                boolean take = previous == Long.MIN_VALUE || Math.floorDiv(t, intervalMillis) > Math.floorDiv(previous, intervalMillis);
                previous = t;
                if (!take) {
                    return;
                }
                BufferedImage picture = decode(decoder, pkt, frame, scaler);
                if (picture == null) {
                    return;
                }
                if (poster && posterJpeg == null) {
                    posterJpeg = jpeg(scale(picture, Math.min(posterWidth, picture.getWidth())));
                }
                thumbs.add(scale(picture, thumbWidth));
                times.add(t);
            } catch (IOException | RuntimeException e) {
                failure = e;
            }
        }

        /** The slice's sheet, once every packet was offered; throws what went wrong on the way. */
        public Sheet finish() throws IOException {
            if (failure instanceof IOException e) {
                throw e;
            } else if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (thumbs.isEmpty()) {
                return new Sheet(null, List.of(), posterJpeg, previous);
            }
            int w = thumbs.get(0).getWidth();
            int h = thumbs.get(0).getHeight();
            int cols = Math.min(columns, thumbs.size());
            int rows = (thumbs.size() + columns - 1) / columns;
            BufferedImage sheet = new BufferedImage(cols * w, rows * h, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = sheet.createGraphics();
            List<Cue> cues = new ArrayList<>();
            for (int i = 0; i < thumbs.size(); i++) {
                int x = (i % columns) * w;
                int y = (i / columns) * h;
                g.drawImage(thumbs.get(i), x, y, w, h, null);
                cues.add(new Cue(times.get(i), x, y, w, h));
            }
            g.dispose();
            return new Sheet(jpeg(sheet), cues, posterJpeg, previous);
        }

        @Override
        public void close() {
            sws_freeContext(scaler[0]);
            scaler[0] = null;
            if (frame != null) {
                av_frame_free(frame);
                frame = null;
            }
            if (decoder != null) {
                avcodec_free_context(decoder);
                decoder = null;
            }
        }
    }

    /** Decodes keyframe {@code pkt} alone into a picture (null when the decoder gives none), then resets the decoder. */
    private static BufferedImage decode(AVCodecContext decoder, AVPacket pkt, AVFrame frame, SwsContext[] scaler) {
        try {
            if (avcodec_send_packet(decoder, pkt) < 0) {
                return null;
            }
            int r = avcodec_receive_frame(decoder, frame);
            if (r == AVERROR_EAGAIN()) {
                avcodec_send_packet(decoder, null); // drain: a decoder that holds frames back for reordering gives it now
                r = avcodec_receive_frame(decoder, frame);
            }
            if (r < 0) {
                return null;
            }
            int w = frame.width();
            int h = frame.height();
            scaler[0] = sws_getCachedContext(scaler[0], w, h, frame.format(), w, h, AV_PIX_FMT_BGR24, SWS_BILINEAR, null, null,
                    (DoublePointer) null);
            if (scaler[0] == null) {
                throw new IllegalStateException("no scaler from pixel format " + frame.format() + " at " + w + "x" + h);
            }
            // FFmpeg sizes and aligns the picture's buffer (its rows padded as libswscale's vector code writes them);
            // the rows are copied out one by one with the stride it chose.
            AVFrame bgr = av_frame_alloc();
            try {
                bgr.format(AV_PIX_FMT_BGR24);
                bgr.width(w);
                bgr.height(h);
                if (av_frame_get_buffer(bgr, 0) < 0) {
                    throw new IllegalStateException("cannot allocate a " + w + "x" + h + " picture");
                }
                sws_scale(scaler[0], frame.data(), frame.linesize(), 0, h, bgr.data(), bgr.linesize());
                BufferedImage picture = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
                byte[] pixels = ((DataBufferByte) picture.getRaster().getDataBuffer()).getData();
                BytePointer rows = bgr.data(0);
                long stride = bgr.linesize(0);
                for (int y = 0; y < h; y++) {
                    rows.position(y * stride).get(pixels, y * w * 3, w * 3);
                }
                av_frame_unref(frame);
                return picture;
            } finally {
                av_frame_free(bgr);
            }
        } finally {
            avcodec_flush_buffers(decoder);
        }
    }

    private static void check(int result, String what) throws IOException {
        if (result < 0) {
            throw new IOException("cannot " + what + ": error " + result);
        }
    }

    /**
     * {@code picture} scaled to {@code width}, its height keeping the aspect (even, at least 2): halved step by step
     * while more than twice too large, so every source pixel counts (one bilinear step from far larger would skip most).
     */
    static BufferedImage scale(BufferedImage picture, int width) {
        int height = Math.max(2, (int) Math.round(picture.getHeight() * (double) width / picture.getWidth() / 2) * 2);
        BufferedImage current = picture;
        while (current.getWidth() >= width * 2 && current.getHeight() >= height * 2) {
            current = draw(current, current.getWidth() / 2, current.getHeight() / 2);
        }
        return draw(current, width, height);
    }

    private static BufferedImage draw(BufferedImage picture, int width, int height) {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.drawImage(picture, 0, 0, width, height, null);
        g.dispose();
        return out;
    }

    static byte[] jpeg(BufferedImage image) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(0.85f);
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, null), p);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }
}
