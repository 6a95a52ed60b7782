package dev.tapedeck.packager.hls;

import java.util.List;
import java.util.Locale;

/**
 * The WebVTT thumbnail track: one cue per thumbnail, from its picture's time to the next one's (the last to the
 * end), its text the sprite sheet with the region as a media fragment ({@code sprites/000003.jpg#xywh=160,0,160,90}),
 * as players' thumbnail previews read it.
 */
public final class ThumbnailTrack {
    private ThumbnailTrack() {
    }

    /**
     * @param zeroMillis stream time that is 0 in the replay (the start of the source's first segment)
     * @param endMillis  stream time where the replay ends
     */
    public static String render(List<Manifest.Thumbnail> thumbnails, long zeroMillis, long endMillis) {
        StringBuilder sb = new StringBuilder("WEBVTT\n");
        for (int i = 0; i < thumbnails.size(); i++) {
            Manifest.Thumbnail t = thumbnails.get(i);
            long start = Math.max(0, t.startMillis - zeroMillis);
            long end = (i + 1 < thumbnails.size() ? thumbnails.get(i + 1).startMillis : endMillis) - zeroMillis;
            if (end <= start) {
                continue;
            }
            sb.append('\n').append(time(start)).append(" --> ").append(time(end)).append('\n')
                    .append(t.sprite).append("#xywh=").append(t.x).append(',').append(t.y).append(',').append(t.width).append(',')
                    .append(t.height).append('\n');
        }
        return sb.toString();
    }

    static String time(long millis) {
        return String.format(Locale.ROOT, "%02d:%02d:%02d.%03d", millis / 3_600_000, millis / 60_000 % 60, millis / 1000 % 60, millis % 1000);
    }
}
