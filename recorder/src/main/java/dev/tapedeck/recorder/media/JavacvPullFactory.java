package dev.tapedeck.recorder.media;

import dev.tapedeck.recorder.config.RecorderConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.Map;

/** Pulls with FFmpeg through JavaCV, remuxing packets into FLV slices ({@link FlvSlicer}). */
@ApplicationScoped
public class JavacvPullFactory implements PullFactory {
    private final long jumpMillis;
    private final long maxSliceMillis;
    private final long maxSliceBytes;

    JavacvPullFactory(RecorderConfig config) {
        this.jumpMillis = config.timestampJump().toMillis();
        this.maxSliceMillis = config.maxSliceDuration().orElse(config.sliceLength().multipliedBy(2)).toMillis();
        this.maxSliceBytes = config.maxSliceSize().asLongValue();
    }

    @Override
    public MediaPull openFrom(String file, Path dir, long seq, long fromDtsMillis) {
        // One slice: the whole rest of the file, whatever its length.
        long whole = Long.MAX_VALUE / 4;
        return new FlvSlicer(file, Map.of(), dir, whole, seq, jumpMillis, whole, whole).startingAt(fromDtsMillis);
    }

    @Override
    public void prepare() {
        // FFmpeg's libraries: loaded once per process, about a second on a cold JVM.
        org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.global.avformat.class);
        org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.global.avcodec.class);
    }

    @Override
    public MediaPull open(String input, Map<String, String> inputOptions, Path dir, long sliceMillis, long firstSeq) {
        return new FlvSlicer(input, inputOptions, dir, sliceMillis, firstSeq, jumpMillis, maxSliceMillis, maxSliceBytes);
    }
}
