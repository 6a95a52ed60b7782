package dev.tapedeck.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class StorageKeysTest {
    private static final StreamKey DEMO = new StreamKey("__defaultVhost__", "live", "demo");
    private static final String REC = "0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10";

    @Test
    void keysFollowTheDesignLayout() {
        assertThat(StorageKeys.slice(DEMO, REC, "source", 7)).isEqualTo("recordings/live/demo/" + REC + "/source/000007.flv");
        assertThat(StorageKeys.master(REC)).isEqualTo("vod/" + REC + "/master.m3u8");
        assertThat(StorageKeys.mediaPlaylist(REC, "720p")).isEqualTo("vod/" + REC + "/720p/index.m3u8");
        assertThat(StorageKeys.segment(REC, "720p", 12)).isEqualTo("vod/" + REC + "/720p/000012.ts");
        assertThat(StorageKeys.segment(REC, "720p", 12, "m4s")).isEqualTo("vod/" + REC + "/720p/000012.m4s");
        assertThat(StorageKeys.init(REC, "720p", StorageKeys.initName(0, true))).isEqualTo("vod/" + REC + "/720p/init.mp4");
        assertThat(StorageKeys.init(REC, "720p", StorageKeys.initName(40, false))).isEqualTo("vod/" + REC + "/720p/init-000040.mp4");
        assertThat(StorageKeys.manifest(REC)).isEqualTo("vod/" + REC + "/manifest.json");
        // Every object of a recording lies under one of these (deleting a recording deletes them all).
        assertThat(StorageKeys.slice(DEMO, REC, "360p", 3)).startsWith(StorageKeys.recordingDir(DEMO, REC));
        assertThat(StorageKeys.recordingDir(DEMO, REC)).isEqualTo("recordings/live/demo/" + REC + "/");
        assertThat(StorageKeys.packagerAttempts(REC, "360p", 3)).startsWith(StorageKeys.stateDirs(REC).get(0));
        assertThat(StorageKeys.recorderPull(REC, "360p")).startsWith(StorageKeys.stateDirs(REC).get(1));
    }

    @Test
    void hostileIdsNeverReachAKey() {
        assertThatThrownBy(() -> StorageKeys.master("../../etc")).isInstanceOf(StreamKey.InvalidNameException.class);
        assertThatThrownBy(() -> StorageKeys.segment(REC, "../x", 1)).isInstanceOf(StreamKey.InvalidNameException.class);
        assertThatThrownBy(() -> StorageKeys.init(REC, "720p", "../master.m3u8")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void uuid7IsTimeSortable() {
        String early = Ids.uuid7(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC));
        String late = Ids.uuid7(Clock.fixed(Instant.parse("2026-01-01T00:00:01Z"), ZoneOffset.UTC));
        assertThat(early).isLessThan(late);
        assertThat(early.charAt(14)).isEqualTo('7');
        StorageKeys.id(early);
    }
}
