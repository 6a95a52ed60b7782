package dev.tapedeck.recorder.rest;

import dev.tapedeck.recorder.service.RecorderLifecycle;
import dev.tapedeck.recorder.service.RecorderService;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Set;

/** What this replica records now: {@code GET /v1/recordings}. */
@Path("/v1/recordings")
@Produces(MediaType.APPLICATION_JSON)
public class RecordingsResource {
    private final RecorderLifecycle lifecycle;

    RecordingsResource(RecorderLifecycle lifecycle) {
        this.lifecycle = lifecycle;
    }

    /**
     * @param partitions the live-registry partitions this replica owns
     * @param recordings the renditions it records
     * @param waiting    streams waiting for a free pull (max-recordings reached)
     * @param spoolBytes bytes waiting for upload
     * @param spoolSlices slices waiting for upload
     * @param standbyPartitions the partitions whose streams it stands by for
     * @param standbys   the renditions it stands by for (pulled beside their owner on another replica)
     */
    public record Replica(Set<Integer> partitions, List<Recording> recordings, int waiting, long spoolBytes, int spoolSlices,
            Set<Integer> standbyPartitions, List<Recording> standbys) {
    }

    /**
     * @param streamKey   {@code __defaultVhost__/live/demo}
     * @param sessionId   the session pulled
     * @param recordingId the recording it writes into
     * @param rendition   {@code source}
     * @param running     true while the pull runs
     * @param nextSeq     the next slice's sequence number (-1 before the pull started)
     * @param mediaSince  when its pull received its first packet (null before): on a replica that resumed a stream, when
     *                    the recording went on
     */
    public record Recording(String streamKey, String sessionId, String recordingId, String rendition, boolean running, long nextSeq,
            java.time.Instant mediaSince) {
    }

    @GET
    public Replica list() {
        RecorderService r = lifecycle.recorder();
        if (r == null) {
            return new Replica(Set.of(), List.of(), 0, 0, 0, Set.of(), List.of());
        }
        List<Recording> recordings = r.sessions().stream().map(RecordingsResource::of).toList();
        List<Recording> standbys = r.standbys().stream().map(RecordingsResource::of).toList();
        return new Replica(lifecycle.ownership().owned(), recordings, r.waiting(), lifecycle.spool().bytes(), lifecycle.spool().count(),
                lifecycle.ownership().standby(), standbys);
    }

    private static Recording of(dev.tapedeck.recorder.service.RecordingSession s) {
        return new Recording(s.published().streamKey(), s.published().sessionId(), s.published().recordingId(), s.published().rendition(),
                s.running(), s.nextSeq(), s.firstMediaAt());
    }
}
