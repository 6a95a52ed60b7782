package dev.tapedeck.vod.rest;

import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.StreamPublished;
import dev.tapedeck.vod.catalog.CatalogIndex;
import dev.tapedeck.vod.catalog.CatalogUnavailableException;
import dev.tapedeck.vod.live.LiveNow;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** What is live this second, from the live registry; the catalog adds the replay URL and poster once it has them. */
@Path("/api/v1")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
@Tag(name = "live", description = "Streams live now")
@SecurityRequirement(name = "apiKey")
@APIResponse(responseCode = "401", description = "no known API key (api-auth=keys)", content = @Content(mediaType = MediaType.APPLICATION_JSON,
        schema = @Schema(implementation = ApiError.Body.class), examples = @ExampleObject(name = "401", value = ApiDocs.UNAUTHORIZED)))
public class LiveResource {
    private final LiveNow live;
    private final CatalogIndex index;

    LiveResource(LiveNow live, CatalogIndex index) {
        this.live = live;
        this.index = index;
    }

    /**
     * A live source.
     *
     * @param streamKey    {@code __defaultVhost__/live/demo}
     * @param app          {@code live}
     * @param stream       {@code demo}
     * @param sessionId    the publish session
     * @param recordingId  the recording it writes into
     * @param startedAt    when its publish was accepted
     * @param renditions   published now: {@code source} and its rungs
     * @param recordingUrl the recording in this API
     * @param playbackUrl  the replay so far (an EVENT playlist that grows), once the catalog lists it; else null
     * @param posterUrl    the newest poster, once there is one; else null
     */
    public record LiveView(String streamKey, String app, String stream, String sessionId, String recordingId, Instant startedAt,
            List<String> renditions, String recordingUrl, String playbackUrl, String posterUrl) {
    }

    /** Live sources, newest first. */
    public record LiveList(List<LiveView> items) {
    }

    @GET
    @Path("/live")
    @Operation(summary = "What is live now", description = "Every live source, newest first, from the live registry: a publish is "
            + "listed as soon as the registry has it, and gone as soon as it ends.")
    @APIResponse(responseCode = "200", description = "the live sources", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = LiveList.class), examples = @ExampleObject(name = "live", value = ApiDocs.LIVE)))
    public LiveList live() {
        return new LiveList(live.sources().stream().map(this::view).toList());
    }

    @GET
    @Path("/streams/{app}/{stream}")
    @Operation(summary = "One stream, if it is live", description = "The stream's live session, or 404 NOT_LIVE.")
    @APIResponse(responseCode = "200", description = "the live session", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = LiveView.class), examples = @ExampleObject(name = "stream", value = ApiDocs.LIVE_ONE)))
    @APIResponse(responseCode = "400", description = "INVALID_STREAM: not a stream name", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "404", description = "NOT_LIVE", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ApiError.Body.class), examples = @ExampleObject(name = "404", value = ApiDocs.NOT_LIVE)))
    public LiveView stream(@Parameter(description = "the app", example = "live") @PathParam("app") String app,
            @Parameter(description = "the stream", example = "demo") @PathParam("stream") String stream) {
        if (!ListParams.NAME.matcher(app).matches() || !ListParams.NAME.matcher(stream).matches()) {
            throw ListParams.bad("INVALID_STREAM", "app and stream are names of letters, digits, '.', '_' or '-'");
        }
        return live.source(app, stream).map(this::view)
                .orElseThrow(() -> new ApiError(404, "NOT_LIVE", app + "/" + stream + " is not live"));
    }

    private LiveView view(LiveNow.Source s) {
        StreamPublished p = s.session();
        String base = "/vod/" + p.recordingId() + "/";
        Optional<CatalogEntry> entry;
        try {
            entry = index.get(p.recordingId()).map(CatalogIndex.Row::entry);
        } catch (CatalogUnavailableException e) {
            // What is live comes from the registry: answered without what the catalog adds.
            entry = Optional.empty();
        }
        boolean playable = entry.map(e -> e.masterPlaylist() != null).orElse(false);
        boolean poster = entry.map(e -> e.poster() != null).orElse(false);
        return new LiveView(p.streamKey(), p.app(), p.stream(), p.sessionId(), p.recordingId(), p.publishedAt(), s.renditions(),
                "/api/v1/recordings/" + p.recordingId(), playable ? base + "master.m3u8" : null, poster ? base + "poster.jpg" : null);
    }
}
