package dev.tapedeck.packager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.packager.hls.Manifest;
import dev.tapedeck.packager.hls.ThumbnailTrack;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThumbnailTrackTest {

    static Manifest.Thumbnail thumb(long start, String sprite, int x) {
        Manifest.Thumbnail t = new Manifest.Thumbnail();
        t.startMillis = start;
        t.sprite = sprite;
        t.x = x;
        t.width = 160;
        t.height = 90;
        return t;
    }

    @Test
    void cuesRunFromPictureToPictureCountedFromTheReplaysStart() {
        String vtt = ThumbnailTrack.render(List.of(thumb(1_021, "sprites/000000.jpg", 0), thumb(11_021, "sprites/000000.jpg", 160),
                thumb(3_661_021, "sprites/000001.jpg", 0)), 1_000, 3_700_000);
        assertThat(vtt).isEqualTo("""
                WEBVTT

                00:00:00.021 --> 00:00:10.021
                sprites/000000.jpg#xywh=0,0,160,90

                00:00:10.021 --> 01:01:00.021
                sprites/000000.jpg#xywh=160,0,160,90

                01:01:00.021 --> 01:01:39.000
                sprites/000001.jpg#xywh=0,0,160,90
                """);
    }

    @Test
    void aPictureBeforeTheStartBeginsAtZeroAndAnEmptyCueIsLeftOut() {
        String vtt = ThumbnailTrack.render(List.of(thumb(900, "sprites/000000.jpg", 0), thumb(5_000, "sprites/000000.jpg", 160)), 1_000, 5_000);
        assertThat(vtt).isEqualTo("""
                WEBVTT

                00:00:00.000 --> 00:00:04.000
                sprites/000000.jpg#xywh=0,0,160,90
                """);
    }
}
