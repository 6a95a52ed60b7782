package dev.tapedeck.recorder.service;

import dev.tapedeck.recorder.media.PullFactory;
import dev.tapedeck.recorder.spool.Announcer;
import dev.tapedeck.recorder.spool.Retrier;
import dev.tapedeck.recorder.spool.SliceStore;
import dev.tapedeck.recorder.spool.Spool;
import dev.tapedeck.recorder.spool.Uploader;
import java.time.Clock;

/** What every recording session of a replica shares. */
public record RecorderContext(RecorderSettings settings, Spool spool, Uploader uploader, SliceStore store, Announcer announcer,
        PullFactory pulls, Retrier retrier, Clock clock, RecorderMetrics metrics, PullGuard guard) {
}
