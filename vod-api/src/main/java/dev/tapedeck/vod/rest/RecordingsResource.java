package dev.tapedeck.vod.rest;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.vod.catalog.Catalog;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;

/** What can be replayed. */
@Path("/api/v1/recordings")
@Produces(MediaType.APPLICATION_JSON)
public class RecordingsResource {
    private final Catalog catalog;

    RecordingsResource(Catalog catalog) {
        this.catalog = catalog;
    }

    /** Every recording, newest first. */
    @GET
    public List<RecordingView> list() {
        return catalog.list().stream().map(RecordingView::of).toList();
    }

    /** One recording: status, duration, renditions, playback URL. */
    @GET
    @Path("/{id}")
    public RecordingView get(@PathParam("id") String id) {
        validId(id);
        return catalog.get(id).map(RecordingView::of)
                .orElseThrow(() -> new ApiError(404, "NOT_FOUND", "no recording " + id));
    }

    static void validId(String id) {
        try {
            StorageKeys.id(id);
        } catch (StreamKey.InvalidNameException e) {
            throw new ApiError(400, "INVALID_ID", "'" + id + "' is not a recording id");
        }
    }
}
