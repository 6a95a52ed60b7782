package dev.tapedeck.packager.media;

/**
 * How HLS segments are written ({@code tapedeck.packager.segment-format}): MPEG-TS, or fragmented MP4 (CMAF) with an
 * initialization section per rendition ({@code EXT-X-MAP}).
 */
public enum SegmentFormat {
    TS("ts", "video/mp2t"),
    FMP4("m4s", "video/mp4");

    private final String extension;
    private final String contentType;

    SegmentFormat(String extension, String contentType) {
        this.extension = extension;
        this.contentType = contentType;
    }

    /** The segment files' extension, without the dot. */
    public String extension() {
        return extension;
    }

    public String contentType() {
        return contentType;
    }
}
