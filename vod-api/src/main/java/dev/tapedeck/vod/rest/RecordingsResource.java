package dev.tapedeck.vod.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.vod.catalog.CatalogIndex;
import dev.tapedeck.vod.catalog.Cursors;
import dev.tapedeck.vod.catalog.ListQuery;
import io.smallrye.common.annotation.Blocking;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import dev.tapedeck.storage.StorageException;
import dev.tapedeck.vod.retention.Deleter;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.UriInfo;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** What can be replayed: pages of recordings from the catalog's index, one recording, and its edits. */
@Tag(name = "recordings", description = "What was recorded and can be replayed")
@SecurityScheme(securitySchemeName = "apiKey", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "An API key (tapedeck.vod.api-auth=keys): read keys list and read, admin keys also change")
@SecurityRequirement(name = "apiKey")
@APIResponse(responseCode = "401", description = "no known API key (api-auth=keys)", content = @Content(mediaType = MediaType.APPLICATION_JSON,
        schema = @Schema(implementation = ApiError.Body.class), examples = @ExampleObject(name = "401", value = ApiDocs.UNAUTHORIZED)))
@APIResponse(responseCode = "503", description = "the catalog's database is not reachable (Retry-After: 5)",
        content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class),
                examples = @ExampleObject(name = "503", value = ApiDocs.UNAVAILABLE)))
@Path("/api/v1/recordings")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class RecordingsResource {
    static final int MAX_TITLE = 200;
    static final int MAX_TAGS = 20;
    static final int MAX_PASSTHROUGH = 255;

    private final CatalogIndex index;
    private final Cursors cursors;
    private final Deleter deleter;

    RecordingsResource(CatalogIndex index, Cursors cursors, Deleter deleter) {
        this.index = index;
        this.cursors = cursors;
        this.deleter = deleter;
    }

    /** A page of a listing, and the cursor of the next one (null on the last). */
    public record Page(List<RecordingView> items, String nextCursor) {
    }

    /** Recordings newest (or oldest) first, filtered, a page at a time. */
    @GET
    @Operation(summary = "List recordings", description = "Newest (or oldest) first, filtered, a page at a time: follow "
            + "nextCursor with the same filters; a page begins after the previous page's last recording, so recordings that "
            + "arrive meanwhile never cause a duplicate or a skip.")
    @APIResponse(responseCode = "200", description = "a page, and the cursor of the next one (null on the last)",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = Page.class),
                    examples = @ExampleObject(name = "page", value = ApiDocs.PAGE)))
    @APIResponse(responseCode = "400", description = ApiDocs.LIST_ERRORS, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ApiError.Body.class), examples = @ExampleObject(name = "400", value = ApiDocs.BAD_PARAMETER)))
    public Page list(
            @Parameter(description = "one stream, app/stream", example = "live/demo") @QueryParam("stream") String stream,
            @Parameter(description = "one app", example = "live") @QueryParam("app") String app,
            @Parameter(description = "LIVE, READY, DEGRADED or FAILED; repeatable or comma-separated", example = "READY")
            @QueryParam("status") List<String> status,
            @Parameter(description = "started at or after, RFC 3339", example = "2026-12-01T00:00:00Z")
            @QueryParam("startedAfter") String startedAfter,
            @Parameter(description = "started before, RFC 3339", example = "2026-12-02T00:00:00Z")
            @QueryParam("startedBefore") String startedBefore,
            @Parameter(description = "carrying this tag", example = "launch") @QueryParam("tag") String tag,
            @Parameter(description = "a title beginning with it, or containing its words", example = "launch day") @QueryParam("q") String q,
            @Parameter(description = "newest (default) or oldest", example = "newest") @QueryParam("order") String order,
            @Parameter(description = "1 to 100, default 25", example = "25") @QueryParam("limit") String limit,
            @Parameter(description = "nextCursor of the previous page, with the same filters") @QueryParam("cursor") String cursor,
            @Context UriInfo uri) {
        // A parameter given without a value ("?q=") is refused like any other bad value, not taken as absent.
        MultivaluedMap<String, String> given = uri.getQueryParameters();
        ListQuery query = ListParams.query(present(given, "stream", stream), present(given, "app", app), status,
                present(given, "startedAfter", startedAfter), present(given, "startedBefore", startedBefore),
                present(given, "tag", tag), present(given, "q", q), present(given, "order", order));
        int n = ListParams.limit(present(given, "limit", limit));
        cursor = present(given, "cursor", cursor);
        if (cursor != null) {
            try {
                query = query.after(cursors.position(query, cursor));
            } catch (Cursors.InvalidCursorException e) {
                throw ListParams.bad("INVALID_CURSOR", e.getMessage());
            }
        }
        List<CatalogIndex.Row> rows = index.list(query, n + 1);
        boolean more = rows.size() > n;
        List<RecordingView> items = rows.subList(0, Math.min(n, rows.size())).stream().map(RecordingView::of).toList();
        return new Page(items, more ? cursors.next(query, items.get(items.size() - 1).id()) : null);
    }

    private static String present(MultivaluedMap<String, String> given, String name, String value) {
        return value == null && given.containsKey(name) ? "" : value;
    }

    /** One recording: status, duration, renditions, playback URL, its edits. */
    @GET
    @Path("/{id}")
    @Operation(summary = "One recording", description = "Status, duration, renditions, playback URL and its edits.")
    @APIResponse(responseCode = "200", description = "the recording", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = RecordingView.class), examples = @ExampleObject(name = "recording", value = ApiDocs.RECORDING)))
    @APIResponse(responseCode = "400", description = "INVALID_ID: not a recording id", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ApiError.Body.class)))
    @APIResponse(responseCode = "404", description = "NOT_FOUND", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ApiError.Body.class), examples = @ExampleObject(name = "404", value = ApiDocs.NOT_FOUND)))
    public RecordingView get(@Parameter(description = "the recording id (a UUIDv7)", example = "0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10")
            @PathParam("id") String id) {
        validId(id);
        return index.get(id).map(RecordingView::of).orElseThrow(() -> notFound(id));
    }

    /**
     * Changes what users edit: {@code title} (at most 200 characters), {@code tags} (at most 20, each {@code [a-z0-9_-]{1,40}}),
     * {@code passthrough} (at most 255 characters). A field left out keeps its value; null clears it.
     */
    @PATCH
    @Path("/{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Edit a recording", description = "title (at most 200 characters), tags (at most 20, each [a-z0-9_-]{1,40}), "
            + "passthrough (at most 255 characters); a field left out keeps its value, null clears it. Needs an admin key.")
    @RequestBody(content = @Content(mediaType = MediaType.APPLICATION_JSON, examples = @ExampleObject(name = "edit",
            value = "{\"title\": \"Launch day\", \"tags\": [\"launch\", \"studio1\"], \"passthrough\": \"order-77\"}")))
    @APIResponse(responseCode = "200", description = "the recording as edited", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = RecordingView.class), examples = @ExampleObject(name = "recording", value = ApiDocs.RECORDING)))
    @APIResponse(responseCode = "400", description = ApiDocs.EDIT_ERRORS, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ApiError.Body.class), examples = @ExampleObject(name = "400", value = ApiDocs.BAD_EDIT)))
    @APIResponse(responseCode = "403", description = "FORBIDDEN: a read key", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ApiError.Body.class), examples = @ExampleObject(name = "403", value = ApiDocs.FORBIDDEN)))
    @APIResponse(responseCode = "404", description = "NOT_FOUND", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ApiError.Body.class), examples = @ExampleObject(name = "404", value = ApiDocs.NOT_FOUND)))
    public RecordingView patch(@Parameter(description = "the recording id") @PathParam("id") String id, JsonNode body) {
        validId(id);
        if (body == null || !body.isObject()) {
            throw ListParams.bad("INVALID_BODY", "the body must be a JSON object with title, tags or passthrough");
        }
        CatalogIndex.Row row = index.get(id).orElseThrow(() -> notFound(id));
        String title = row.edits().title();
        List<String> tags = row.edits().tags();
        String passthrough = row.edits().passthrough();
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            JsonNode v = body.get(field);
            switch (field) {
                case "title" -> title = text(v, "title", MAX_TITLE);
                case "passthrough" -> passthrough = text(v, "passthrough", MAX_PASSTHROUGH);
                case "tags" -> tags = tags(v);
                default -> throw ListParams.bad("INVALID_FIELD", "unknown field '" + cut(field) + "': title, tags or passthrough");
            }
        }
        if (!index.edit(id, new CatalogIndex.Edits(title, tags, passthrough))) {
            throw notFound(id);
        }
        return get(id);
    }

    /**
     * Deletes a recording: every object of it, then a DELETED entry and a tombstone on the catalog topic, so every
     * consumer learns it. 204 once done; 404 when there is no such recording (a second DELETE); 409 while it is LIVE.
     */
    @DELETE
    @Path("/{id}")
    @Operation(summary = "Delete a recording", description = "Removes every object of the recording (its slices and its replay), "
            + "then writes a DELETED entry and a tombstone to the catalog topic. A deletion cut off halfway is finished by the "
            + "next retention sweep. Needs an admin key.")
    @APIResponse(responseCode = "204", description = "deleted")
    @APIResponse(responseCode = "404", description = "NOT_FOUND: no such recording (or deleted already)", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class),
            examples = @ExampleObject(name = "404", value = ApiDocs.NOT_FOUND)))
    @APIResponse(responseCode = "409", description = "RECORDING_LIVE: still being recorded", content = @Content(
            mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class),
            examples = @ExampleObject(name = "409", value = ApiDocs.RECORDING_LIVE)))
    @APIResponse(responseCode = "403", description = "FORBIDDEN: a read key", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = ApiError.Body.class), examples = @ExampleObject(name = "403", value = ApiDocs.FORBIDDEN)))
    public Response delete(@Parameter(description = "the recording id") @PathParam("id") String id) {
        validId(id);
        Deleter.Outcome outcome;
        try {
            outcome = deleter.delete(id, "deleted through the API");
        } catch (StorageException e) {
            throw new ApiError(503, "STORAGE_UNAVAILABLE", "object storage did not answer; the deletion is finished by the next sweep");
        } catch (IllegalStateException e) {
            throw new ApiError(503, "CATALOG_UNAVAILABLE", "the catalog topic did not answer; the deletion is finished by the next sweep");
        }
        return switch (outcome) {
            case DELETED -> Response.noContent().build();
            case NOT_FOUND -> throw notFound(id);
            case LIVE -> throw new ApiError(409, "RECORDING_LIVE", "recording " + id + " is LIVE: delete it once it has ended");
        };
    }

    private static String text(JsonNode v, String field, int max) {
        if (v.isNull()) {
            return null;
        }
        if (!v.isTextual() || v.asText().length() > max || v.asText().chars().anyMatch(Character::isISOControl)) {
            throw ListParams.bad("INVALID_" + field.toUpperCase(java.util.Locale.ROOT),
                    field + " must be text of at most " + max + " characters, without control characters");
        }
        return v.asText();
    }

    private static List<String> tags(JsonNode v) {
        if (v.isNull()) {
            return List.of();
        }
        if (!v.isArray() || v.size() > MAX_TAGS) {
            throw ListParams.bad("INVALID_TAGS", "tags must be a list of at most " + MAX_TAGS + " tags");
        }
        List<String> tags = new ArrayList<>();
        for (JsonNode t : v) {
            if (!t.isTextual() || !ListParams.TAG.matcher(t.asText()).matches()) {
                throw ListParams.bad("INVALID_TAGS", "each tag must be 1 to 40 of a-z, 0-9, '_' and '-'");
            }
            if (!tags.contains(t.asText())) {
                tags.add(t.asText());
            }
        }
        return tags;
    }

    private static String cut(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static ApiError notFound(String id) {
        return new ApiError(404, "NOT_FOUND", "no recording " + id);
    }

    static void validId(String id) {
        try {
            StorageKeys.id(id);
        } catch (StreamKey.InvalidNameException e) {
            throw new ApiError(400, "INVALID_ID", "'" + id + "' is not a recording id");
        }
    }
}
