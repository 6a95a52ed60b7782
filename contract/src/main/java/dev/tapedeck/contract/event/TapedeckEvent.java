package dev.tapedeck.contract.event;

/** The data of every Tapedeck CloudEvent. */
public sealed interface TapedeckEvent
        permits StreamPublished, StreamUnpublished, SliceStored, RecordingClosed, CatalogEntry, JobStatusChanged {

    /** The CloudEvent {@code subject}: the streamKey the event is about. */
    String subject();
}
