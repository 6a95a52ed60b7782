package dev.tapedeck.vod.rest;

import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.storage.StorageException;
import dev.tapedeck.vod.config.VodConfig;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.ExampleObject;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import java.net.URI;
import java.util.regex.Pattern;

/** Playlists and segments of replays, from object storage: proxied, or redirected to a presigned URL. */
@Tag(name = "replays", description = "The files of a replay: playlists, segments, pictures, the integrity report")
@APIResponse(responseCode = "200", description = "the file (proxied)")
@APIResponse(responseCode = "302", description = "a presigned URL of the file (delivery=redirect)")
@APIResponse(responseCode = "400", description = "INVALID_ID or INVALID_PATH: not a file of the object layout",
        content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ApiError.Body.class)))
@APIResponse(responseCode = "404", description = "NOT_FOUND", content = @Content(mediaType = MediaType.APPLICATION_JSON,
        schema = @Schema(implementation = ApiError.Body.class)))
@APIResponse(responseCode = "503", description = "STORAGE_UNAVAILABLE", content = @Content(mediaType = MediaType.APPLICATION_JSON,
        schema = @Schema(implementation = ApiError.Body.class), examples = @ExampleObject(name = "503", value = ApiDocs.STORAGE_UNAVAILABLE)))
@Path("/vod/{id}")
public class PlaybackResource {
    private static final Pattern FILE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}\\.(m3u8|ts|m4s|mp4|jpg|vtt|json)");
    private static final Pattern DIR = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    private final ObjectStore store;
    private final VodConfig config;

    PlaybackResource(ObjectStore store, VodConfig config) {
        this.store = store;
        this.config = config;
    }

    @GET
    @Path("/{file}")
    @Blocking
    @Operation(summary = "A file of a replay", description = "master.m3u8, manifest.json, poster.jpg or thumbnails.vtt")
    public Response top(@PathParam("id") String id, @PathParam("file") String file) {
        return serve(id, null, file);
    }

    @GET
    @Path("/{rendition}/{file}")
    @Blocking
    @Operation(summary = "A file of a rendition", description = "index.m3u8 and segments (.ts, or init.mp4 and .m4s), or sprites/{seq}.jpg")
    public Response rendition(@PathParam("id") String id, @PathParam("rendition") String rendition, @PathParam("file") String file) {
        return serve(id, rendition, file);
    }

    private Response serve(String id, String dir, String file) {
        RecordingsResource.validId(id);
        if (!FILE.matcher(file).matches() || (dir != null && !DIR.matcher(dir).matches())) {
            throw new ApiError(400, "INVALID_PATH", "not a replay file: " + (dir == null ? "" : dir + "/") + file);
        }
        String key = StorageKeys.vodDir(id) + (dir == null ? "" : dir + "/") + file;
        if (config.delivery() == VodConfig.Delivery.REDIRECT) {
            return Response.status(302).location(URI.create(store.presignedGet(key, config.presignExpiry()))).build();
        }
        InputStream in;
        try {
            in = store.get(key);
        } catch (StorageException e) {
            if (e.notFound()) {
                throw new ApiError(404, "NOT_FOUND", "no " + key);
            }
            throw new ApiError(503, "STORAGE_UNAVAILABLE", e.getMessage());
        }
        boolean changes = file.endsWith(".m3u8") || file.endsWith(".json") || file.endsWith(".vtt");
        return Response.ok(in)
                .type(contentType(file))
                // Playlists and the manifest change while a recording is live; segments never change.
                .header("Cache-Control", changes ? "no-cache" : "public, max-age=86400, immutable")
                .header("Access-Control-Allow-Origin", "*")
                .build();
    }

    static String contentType(String file) {
        String ext = file.substring(file.lastIndexOf('.') + 1);
        return switch (ext) {
            case "m3u8" -> "application/vnd.apple.mpegurl";
            case "ts" -> "video/mp2t";
            case "m4s", "mp4" -> "video/mp4";
            case "jpg" -> "image/jpeg";
            case "vtt" -> "text/vtt";
            default -> "application/json";
        };
    }
}
