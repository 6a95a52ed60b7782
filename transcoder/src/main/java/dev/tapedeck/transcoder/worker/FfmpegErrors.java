package dev.tapedeck.transcoder.worker;

import static org.bytedeco.ffmpeg.global.avutil.av_strerror;

/** FFmpeg error codes as text. */
final class FfmpegErrors {
    private FfmpegErrors() {
    }

    static String describe(int code) {
        byte[] buf = new byte[256];
        av_strerror(code, buf, buf.length);
        int n = 0;
        while (n < buf.length && buf[n] != 0) {
            n++;
        }
        return new String(buf, 0, n, java.nio.charset.StandardCharsets.UTF_8) + ", " + code;
    }
}
