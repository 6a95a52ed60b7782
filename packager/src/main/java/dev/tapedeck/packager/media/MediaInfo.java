package dev.tapedeck.packager.media;

/**
 * What a slice's streams are, for the master playlist.
 *
 * @param width       1280, 0 without video
 * @param height      720
 * @param videoCodecs RFC 6381 video codec, {@code avc1.64001f}; null without video
 * @param audioCodecs {@code mp4a.40.2}; null without audio
 */
public record MediaInfo(int width, int height, String videoCodecs, String audioCodecs) {

    /** {@code avc1.64001f,mp4a.40.2} */
    public String codecs() {
        if (videoCodecs == null) {
            return audioCodecs;
        }
        return audioCodecs == null ? videoCodecs : videoCodecs + "," + audioCodecs;
    }
}
