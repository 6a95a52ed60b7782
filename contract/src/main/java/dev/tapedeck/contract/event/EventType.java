package dev.tapedeck.contract.event;

import java.util.Arrays;
import java.util.Optional;

/** The CloudEvent {@code type} of each event record. */
public enum EventType {
    STREAM_PUBLISHED("dev.tapedeck.stream.published", StreamPublished.class),
    STREAM_UNPUBLISHED("dev.tapedeck.stream.unpublished", StreamUnpublished.class),
    SLICE_STORED("dev.tapedeck.slice.stored", SliceStored.class),
    RECORDING_CLOSED("dev.tapedeck.recording.closed", RecordingClosed.class),
    CATALOG_ENTRY("dev.tapedeck.vod.catalog", CatalogEntry.class),
    JOB_STATUS_CHANGED("dev.tapedeck.job.status", JobStatusChanged.class);

    private final String type;
    private final Class<? extends TapedeckEvent> dataClass;

    EventType(String type, Class<? extends TapedeckEvent> dataClass) {
        this.type = type;
        this.dataClass = dataClass;
    }

    /** The CloudEvent type string. */
    public String type() {
        return type;
    }

    /** The record carried as data. */
    public Class<? extends TapedeckEvent> dataClass() {
        return dataClass;
    }

    /** The type of a CloudEvent type string, if it is one of ours. */
    public static Optional<EventType> ofType(String type) {
        return Arrays.stream(values()).filter(t -> t.type.equals(type)).findFirst();
    }

    /** The type of an event record. */
    public static EventType of(TapedeckEvent event) {
        return Arrays.stream(values()).filter(t -> t.dataClass.isInstance(event)).findFirst().orElseThrow();
    }
}
