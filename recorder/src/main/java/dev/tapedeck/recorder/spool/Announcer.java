package dev.tapedeck.recorder.spool;

import dev.tapedeck.contract.event.RecordingClosed;
import dev.tapedeck.contract.event.SliceStored;

/** Writes the recorder's events; returns once the broker acknowledged them. */
public interface Announcer {
    void stored(SliceStored event);

    void closed(RecordingClosed event);
}
