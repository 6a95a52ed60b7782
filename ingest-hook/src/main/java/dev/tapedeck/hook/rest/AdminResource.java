package dev.tapedeck.hook.rest;

import dev.tapedeck.contract.PublishTokens;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.hook.config.HookConfig;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Map;

/**
 * Operators' endpoint: {@code POST /admin/publish-url} with {@code {"stream":"live/studio1","ttl":"2h"}} and
 * {@code Authorization: Bearer <tapedeck.hook.admin-token>} answers a signed publish URL ({@code auth=hmac}).
 * Without an admin token configured the endpoint refuses everything.
 */
@Path("/admin/publish-url")
public class AdminResource {
    private final HookConfig config;
    private final Clock clock;

    AdminResource(HookConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    /**
     * @param stream {@code live/studio1}
     * @param ttl    {@code 2h} (default 1h)
     */
    public record Request(String stream, String ttl) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response mint(@HeaderParam("Authorization") String authorization, Request request) {
        if (config.adminToken().isEmpty()) {
            return error(403, "ADMIN_DISABLED", "set tapedeck.hook.admin-token to use the admin endpoint");
        }
        String expected = "Bearer " + config.adminToken().get();
        if (authorization == null || !MessageDigest.isEqual(authorization.getBytes(StandardCharsets.UTF_8),
                expected.getBytes(StandardCharsets.UTF_8))) {
            return error(401, "UNAUTHORIZED", "a valid 'Authorization: Bearer …' header is required");
        }
        if (request == null || request.stream() == null) {
            return error(400, "MALFORMED_REQUEST", "body must be {\"stream\":\"app/stream\",\"ttl\":\"2h\"}");
        }
        try {
            PublishTokens.SignedUrl url = PublishTokens.url(config.publishBaseUrl(), request.stream(), config.hmacSecret().orElse(null),
                    PublishTokens.ttl(request.ttl() == null ? "1h" : request.ttl()), clock.instant());
            return ExceptionMappers.json(200, Map.of("url", url.url(), "expires", url.expires().toString()));
        } catch (StreamKey.InvalidNameException e) {
            return error(400, "INVALID_NAME", e.getMessage());
        } catch (IllegalArgumentException e) {
            return error(400, "MALFORMED_REQUEST", e.getMessage());
        }
    }

    private static Response error(int status, String code, String message) {
        return ExceptionMappers.json(status, new ErrorBody(code, message));
    }
}
