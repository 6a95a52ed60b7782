package dev.tapedeck.packager.media;

import java.util.List;

/**
 * The segments cut from one slice, and what its streams are.
 *
 * @param mediaEndMillis where its last packet of any stream ends (its PTS, or its DTS where that is later, plus its
 *                       duration; stream time): the next part of a recording whose timestamps start over begins
 *                       there
 */
public record SegmentedSlice(List<Segment> segments, MediaInfo info, long mediaEndMillis) {
}
