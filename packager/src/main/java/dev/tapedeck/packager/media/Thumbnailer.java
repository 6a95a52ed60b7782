package dev.tapedeck.packager.media;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
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
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.Java2DFrameConverter;

/**
 * Pictures of a slice for the thumbnail track: the first keyframe at or after each multiple of the interval (in
 * stream time, so the pictures of consecutive slices follow one grid), decoded alone (the decoder skips every other
 * frame), scaled to the thumbnail width and laid out in one sprite sheet per slice.
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
     * @param previousKeyframeMillis the last keyframe time of the slice before (its pictures are taken), or
     *                               {@link Long#MIN_VALUE} when unknown: the slice's first keyframe is then taken
     * @param poster                 whether to keep the first picture at poster size
     */
    public Sheet sheet(Path slice, long previousKeyframeMillis, boolean poster) throws IOException {
        List<BufferedImage> thumbs = new ArrayList<>();
        List<Long> times = new ArrayList<>();
        byte[] posterJpeg = null;
        long previous = previousKeyframeMillis;
        try (FFmpegFrameGrabber grabber = new FFmpegFrameGrabber(slice.toFile());
                Java2DFrameConverter converter = new Java2DFrameConverter()) {
            // Decode keyframes only.
            grabber.setVideoOption("skip_frame", "nokey");
            grabber.start();
            if (grabber.getVideoStream() < 0) {
                return new Sheet(null, List.of(), null, previousKeyframeMillis);
            }
            Frame frame;
            while ((frame = grabber.grabImage()) != null) {
                long t = frame.timestamp / 1000;
                boolean take = previous == Long.MIN_VALUE || Math.floorDiv(t, intervalMillis) > Math.floorDiv(previous, intervalMillis);
                previous = t;
                if (!take) {
                    continue;
                }
                BufferedImage picture = converter.convert(frame);
                if (picture == null) {
                    continue;
                }
                if (poster && posterJpeg == null) {
                    posterJpeg = jpeg(scale(picture, Math.min(posterWidth, picture.getWidth())));
                }
                thumbs.add(scale(picture, thumbWidth));
                times.add(t);
            }
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
