package dev.tapedeck.contract;

import java.util.regex.Pattern;

/** Every object key Tapedeck writes. Keys are built only here, and only from validated parts. */
public final class StorageKeys {
    /** Root of the recorded FLV slices. */
    public static final String RECORDINGS = "recordings/";
    /** Root of the packaged HLS. */
    public static final String VOD = "vod/";
    /** Root of the services' own durable notes (never served): what a process was doing when it died. */
    public static final String STATE = "state/";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    private StorageKeys() {
    }

    /** {@code recordings/{app}/{stream}/{recordingId}/{rendition}/{seq:06d}.flv} */
    public static String slice(StreamKey source, String recordingId, String rendition, long seq) {
        return sliceDir(source, recordingId, rendition) + "%06d.flv".formatted(seq);
    }

    /** {@code recordings/{app}/{stream}/{recordingId}/}, the prefix of every rendition's slices of a recording. */
    public static String recordingDir(StreamKey source, String recordingId) {
        return RECORDINGS + source.app() + "/" + source.stream() + "/" + id(recordingId) + "/";
    }

    /** {@code state/packager/{recordingId}/} and {@code state/recorder/{recordingId}/}: the services' notes of a recording. */
    public static java.util.List<String> stateDirs(String recordingId) {
        return java.util.List.of(STATE + "packager/" + id(recordingId) + "/", STATE + "recorder/" + id(recordingId) + "/");
    }

    /** {@code recordings/{app}/{stream}/{recordingId}/{rendition}/}, the prefix of a rendition's slices. */
    public static String sliceDir(StreamKey source, String recordingId, String rendition) {
        return recordingDir(source, recordingId) + rendition(rendition) + "/";
    }

    /** {@code vod/{recordingId}/master.m3u8} */
    public static String master(String recordingId) {
        return vodDir(recordingId) + "master.m3u8";
    }

    /** {@code vod/{recordingId}/manifest.json} */
    public static String manifest(String recordingId) {
        return vodDir(recordingId) + "manifest.json";
    }

    /** {@code vod/{recordingId}/{rendition}/index.m3u8} */
    public static String mediaPlaylist(String recordingId, String rendition) {
        return vodDir(recordingId) + rendition(rendition) + "/index.m3u8";
    }

    /** {@code vod/{recordingId}/{rendition}/{seg:06d}.ts} */
    public static String segment(String recordingId, String rendition, long seg) {
        return vodDir(recordingId) + rendition(rendition) + "/" + segmentName(seg);
    }

    /** The file name of a segment, as media playlists reference it. */
    public static String segmentName(long seg) {
        return segmentName(seg, "ts");
    }

    /** {@code vod/{recordingId}/{rendition}/{seg:06d}.{extension}}: {@code ts}, or {@code m4s} for fragmented MP4. */
    public static String segment(String recordingId, String rendition, long seg, String extension) {
        return vodDir(recordingId) + rendition(rendition) + "/" + segmentName(seg, extension);
    }

    /** {@code {seg:06d}.{extension}} */
    public static String segmentName(long seg, String extension) {
        return "%06d.%s".formatted(seg, extension);
    }

    /**
     * The file name of a rendition's fragmented-MP4 initialization section: {@code init.mp4} for the one its first segment
     * needs, {@code init-{seg:06d}.mp4} for one that a later segment {@code seg} brings (its streams changed).
     */
    public static String initName(long seg, boolean first) {
        return first ? "init.mp4" : "init-%06d.mp4".formatted(seg);
    }

    /** {@code vod/{recordingId}/{rendition}/{name}} for a name from {@link #initName}. */
    public static String init(String recordingId, String rendition, String name) {
        if (!name.matches("init(-[0-9]{6})?\\.mp4")) {
            throw new IllegalArgumentException("not an initialization section's name: " + name);
        }
        return vodDir(recordingId) + rendition(rendition) + "/" + name;
    }

    /** {@code vod/{recordingId}/poster.jpg}: the recording's first thumbnail picture, larger. */
    public static String poster(String recordingId) {
        return vodDir(recordingId) + "poster.jpg";
    }

    /** {@code vod/{recordingId}/thumbnails.vtt}: the WebVTT thumbnail track, its cues pointing into the sprite sheets. */
    public static String thumbnails(String recordingId) {
        return vodDir(recordingId) + "thumbnails.vtt";
    }

    /** {@code vod/{recordingId}/sprites/{seq:06d}.jpg}: the thumbnails of one source slice. */
    public static String sprite(String recordingId, long sliceSeq) {
        return vodDir(recordingId) + spriteName(sliceSeq);
    }

    /** {@code sprites/{seq:06d}.jpg}, as the thumbnail track refers to it. */
    public static String spriteName(long sliceSeq) {
        return String.format(java.util.Locale.ROOT, "sprites/%06d.jpg", sliceSeq);
    }

    /**
     * {@code state/packager/{recordingId}/{rendition}/{seq:06d}.attempts}: the packager's count of native attempts at a
     * slice that did not finish (the process died in them).
     */
    public static String packagerAttempts(String recordingId, String rendition, long seq) {
        return STATE + "packager/" + id(recordingId) + "/" + rendition(rendition) + "/%06d.attempts".formatted(seq);
    }

    /**
     * {@code state/recorder/{recordingId}/{rendition}.pull}: the recorder's note of a pull of a rendition that has not
     * yet run its crash window: the replica's life that began it and how many replicas such pulls killed before.
     */
    public static String recorderPull(String recordingId, String rendition) {
        return STATE + "recorder/" + id(recordingId) + "/" + rendition(rendition) + ".pull";
    }

    /**
     * {@code state/recorder/{recordingId}/{rendition}.takeover}: written by a standby as it takes a rendition over from
     * its dead owner (the time, in epoch milliseconds). A replica that restarts and salvages the owner's half-written
     * slice from before that time holds it back until the standby's whole copy of that slice is stored.
     */
    public static String recorderTakeover(String recordingId, String rendition) {
        return STATE + "recorder/" + id(recordingId) + "/" + rendition(rendition) + ".takeover";
    }

    /**
     * {@code state/recorder/lives/{life}/}: one object per pull that a recorder replica's life (one process start)
     * began and that has not yet run its crash window; what is left of a life that died says which pulls it died with.
     */
    public static String recorderLife(String life) {
        return STATE + "recorder/lives/" + id(life) + "/";
    }

    /** {@code state/recorder/lives/{life}/{recordingId}.{rendition}} */
    public static String recorderLifePull(String life, String recordingId, String rendition) {
        return recorderLife(life) + id(recordingId) + "." + rendition(rendition);
    }

    /** {@code vod/{recordingId}/} */
    public static String vodDir(String recordingId) {
        return VOD + id(recordingId) + "/";
    }

    /** Validates a recording or session id: letters, digits, '-' and '_' only. */
    public static String id(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new StreamKey.InvalidNameException("id '" + id + "' is not allowed");
        }
        return id;
    }

    /** Validates a rendition name ({@code source}, {@code 720p} …). */
    public static String rendition(String rendition) {
        return StreamKey.requirePart("rendition", rendition);
    }
}
