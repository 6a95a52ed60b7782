package dev.tapedeck.recorder.media;

import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.Map;

/** Pulls with FFmpeg through JavaCV, remuxing packets into FLV slices ({@link FlvSlicer}). */
@ApplicationScoped
public class JavacvPullFactory implements PullFactory {

    @Override
    public MediaPull open(String input, Map<String, String> inputOptions, Path dir, long sliceMillis, long firstSeq) {
        return new FlvSlicer(input, inputOptions, dir, sliceMillis, firstSeq);
    }
}
