package dev.tapedeck.vod.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.vod.catalog.CatalogIndex;
import dev.tapedeck.vod.catalog.Cursors;
import dev.tapedeck.vod.catalog.ListQuery;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
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
@Path("/api/v1/recordings")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class RecordingsResource {
    static final int MAX_TITLE = 200;
    static final int MAX_TAGS = 20;
    static final int MAX_PASSTHROUGH = 255;

    private final CatalogIndex index;
    private final Cursors cursors;

    RecordingsResource(CatalogIndex index, Cursors cursors) {
        this.index = index;
        this.cursors = cursors;
    }

    /** A page of a listing, and the cursor of the next one (null on the last). */
    public record Page(List<RecordingView> items, String nextCursor) {
    }

    /** Recordings newest (or oldest) first, filtered, a page at a time. */
    @GET
    public Page list(@QueryParam("stream") String stream, @QueryParam("app") String app, @QueryParam("status") List<String> status,
            @QueryParam("startedAfter") String startedAfter, @QueryParam("startedBefore") String startedBefore,
            @QueryParam("tag") String tag, @QueryParam("q") String q, @QueryParam("order") String order,
            @QueryParam("limit") String limit, @QueryParam("cursor") String cursor, @Context UriInfo uri) {
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
    public RecordingView get(@PathParam("id") String id) {
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
    public RecordingView patch(@PathParam("id") String id, JsonNode body) {
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
