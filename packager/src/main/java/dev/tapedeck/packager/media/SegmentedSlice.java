package dev.tapedeck.packager.media;

import java.util.List;

/** The segments cut from one slice, and what its streams are. */
public record SegmentedSlice(List<Segment> segments, MediaInfo info) {
}
