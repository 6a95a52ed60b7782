package dev.tapedeck.hook.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.hook.service.Decision;
import dev.tapedeck.hook.service.PublishRequest;
import dev.tapedeck.hook.service.PublishService;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import dev.tapedeck.hook.service.Log;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SRS's {@code http_hooks}: JSON POSTs; HTTP 200 with {@code {"code":0}} allows, a non-zero code refuses.
 * SRS hands players the GOP cache, so a publish is never held for the recorder here.
 */
@Path("/hooks/srs")
public class SrsHookResource {
    static final String SERVER = "srs";
    private static final Logger LOG = Logger.getLogger(SrsHookResource.class);

    private final PublishService service;
    private final ObjectMapper mapper;

    SrsHookResource(PublishService service, ObjectMapper mapper) {
        this.service = service;
        this.mapper = mapper;
    }

    @POST
    @Blocking
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response hook(String body, @Context RoutingContext routing) {
        try {
            return ExceptionMappers.json(200, decide(body, routing));
        } catch (MalformedHookException e) {
            // SRS reads an integer code: a malformed callback is refused with one, plus the stable error name.
            LOG.warnf("malformed SRS hook call: %s", e.getMessage());
            return ExceptionMappers.json(400, Map.of("code", 400, "error", "MALFORMED_HOOK", "message", e.getMessage()));
        }
    }

    private Map<String, Object> decide(String body, RoutingContext routing) {
        SrsHookRequest hook = parse(body);
        if (hook.action() == null || hook.app() == null || hook.stream() == null) {
            throw new MalformedHookException("fields 'action', 'app' and 'stream' are required");
        }
        String vhost = hook.vhost() == null || hook.vhost().isEmpty() ? StreamKey.DEFAULT_VHOST : hook.vhost();
        PublishRequest req = new PublishRequest(SERVER, vhost, hook.app(), hook.stream(), query(hook.param()),
                hook.clientId(), hook.ip(), hook.tcUrl(), hook.serverId());
        return switch (hook.action()) {
            case "on_publish" -> answer(service.publish(req, service.holdsPublishesOf(SERVER)));
            case "on_unpublish" -> {
                service.unpublish(req);
                yield Map.of("code", 0);
            }
            case "on_play" -> {
                // The player's query names its role (the recorder, the transcoder's worker).
                AfterAnswer.run(routing, () -> service.played(hook.app(), hook.stream(), req.params()));
                yield Map.of("code", 0);
            }
            case "on_stop", "on_connect", "on_close", "on_dvr", "on_hls" -> Map.of("code", 0);
            default -> throw new MalformedHookException("unknown action '" + Log.value(hook.action()) + "'");
        };
    }

    private static Map<String, Object> answer(Decision decision) {
        if (decision instanceof Decision.Deny deny) {
            return Map.of("code", deny.retryable() ? 503 : 403, "error", deny.code(), "message", deny.message());
        }
        return Map.of("code", 0, "sessionId", ((Decision.Allow) decision).sessionId());
    }

    private SrsHookRequest parse(String body) {
        return MalformedHookException.readJson(mapper, body, SrsHookRequest.class, "SRS");
    }

    /** {@code ?token=a&expires=1} → map. */
    static Map<String, String> query(String param) {
        if (param == null || param.isBlank()) {
            return Map.of();
        }
        String q = param.startsWith("?") ? param.substring(1) : param;
        return q.isEmpty() ? Map.of() : new LinkedHashMap<>(NginxRtmpHookResource.parseForm(q));
    }
}
