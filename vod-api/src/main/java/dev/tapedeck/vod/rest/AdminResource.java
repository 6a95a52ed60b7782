package dev.tapedeck.vod.rest;

import dev.tapedeck.vod.catalog.Reindexer;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Operations on the catalog's index. */
@Path("/api/v1/admin")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
@Tag(name = "admin", description = "Operations on the catalog's index (admin keys)")
@SecurityRequirement(name = "apiKey")
public class AdminResource {
    private final Reindexer reindexer;

    AdminResource(Reindexer reindexer) {
        this.reindexer = reindexer;
    }

    @POST
    @Path("/reindex")
    @Operation(summary = "Rebuild the index from the catalog topic", description = "Reads tapedeck.vods from its beginning to its end "
            + "and writes the index anew in one transaction (readers see the old rows until it commits); what users edited "
            + "stays. Answers when done. Needs an admin key.")
    @APIResponse(responseCode = "200", description = "rebuilt", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = Reindexer.Result.class), examples = @ExampleObject(name = "done",
                    value = "{\"records\": 1048576, \"rows\": 1000000, \"millis\": 95412}")))
    @APIResponse(responseCode = "401", description = "no known API key (api-auth=keys)", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class),
            examples = @ExampleObject(name = "401", value = ApiDocs.UNAUTHORIZED)))
    @APIResponse(responseCode = "403", description = "FORBIDDEN: a read key", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ApiError.Body.class), examples = @ExampleObject(name = "403", value = ApiDocs.FORBIDDEN)))
    @APIResponse(responseCode = "503", description = "CATALOG_UNAVAILABLE: the database is away", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class),
            examples = @ExampleObject(name = "503", value = ApiDocs.UNAVAILABLE)))
    public Reindexer.Result reindex() {
        return reindexer.reindex();
    }
}
