package dev.tapedeck.packager.media;

import java.io.IOException;

/** A slice holds a codec HLS players cannot play; the message names it and what can be packaged. */
public final class UnsupportedCodecException extends IOException {
    public UnsupportedCodecException(String kind, String codec) {
        super("its " + kind + " codec " + codec + " cannot be packaged for HLS (video: H.264, HEVC; audio: AAC, MP3, Opus)");
    }
}
