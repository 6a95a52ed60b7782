package dev.tapedeck.contract;

/** Kafka topic names. Keys are given per topic; every value is a CloudEvent in binary mode. */
public final class Topics {
    /** Stream lifecycle (StreamPublished, StreamUnpublished), keyed by streamKey. */
    public static final String STREAMS = "tapedeck.streams";
    /** Compacted: the current live session of a stream, keyed by streamKey; a tombstone when it ends. */
    public static final String LIVE = "tapedeck.live";
    /** Worker status (JobStatusChanged), keyed by sessionId. */
    public static final String JOBS = "tapedeck.jobs";
    /** SliceStored and RecordingClosed, keyed by {@code recordingId/rendition}. */
    public static final String SLICES = "tapedeck.slices";
    /** Compacted catalog: the recording's CatalogEntry, keyed by recordingId; a tombstone on delete. */
    public static final String VODS = "tapedeck.vods";

    /**
     * One topic as every deployment creates it: the embedded broker of the tests and the local stack, and the
     * KafkaTopic resources of {@code k8s/base} (a test checks that they agree).
     *
     * @param name       {@code tapedeck.live}
     * @param compacted  whether the topic keeps the last record per key ({@code cleanup.policy=compact}) instead
     *                   of deleting by retention
     */
    public record Spec(String name, boolean compacted) {
        public String cleanupPolicy() {
            return compacted ? "compact" : "delete";
        }
    }

    /** Every topic of the pipeline. */
    public static final java.util.List<Spec> ALL = java.util.List.of(new Spec(STREAMS, false), new Spec(LIVE, true),
            new Spec(JOBS, false), new Spec(SLICES, false), new Spec(VODS, true));

    private Topics() {
    }

    /** The record key of {@link #SLICES}: one partition order per rendition of a recording. */
    public static String sliceKey(String recordingId, String rendition) {
        return recordingId + "/" + rendition;
    }
}
