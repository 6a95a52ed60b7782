package dev.tapedeck.hook.rest;

import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.hook.service.Decision;
import dev.tapedeck.hook.service.PublishRequest;
import dev.tapedeck.hook.service.PublishService;
import io.smallrye.common.annotation.Blocking;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import dev.tapedeck.hook.service.Log;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * nginx-rtmp's {@code on_publish}, {@code on_publish_done} and {@code on_play}: a form POST (or, with
 * {@code notify_method get}, a GET whose query carries the same fields) with {@code call}, {@code app},
 * {@code name}, {@code addr}, {@code clientid}, {@code tcurl}, … and the client's query arguments appended raw.
 * Any 2xx allows; 403 refuses.
 */
@Path("/hooks/nginx-rtmp")
public class NginxRtmpHookResource {
    static final String SERVER = "nginx-rtmp";
    private static final Set<String> OWN_FIELDS = Set.of("call", "app", "name", "type", "addr", "clientid", "tcurl",
            "flashver", "swfurl", "pageurl", "start", "duration", "reset");

    private final PublishService service;

    NginxRtmpHookResource(PublishService service) {
        this.service = service;
    }

    @POST
    @Blocking
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response hook(String body, @Context HttpServerRequest http, @Context RoutingContext routing) {
        return handle(parseForm(body), http, routing);
    }

    /** {@code notify_method get}: the same fields in the query string. */
    @GET
    @Blocking
    @Produces(MediaType.APPLICATION_JSON)
    public Response hookByGet(@Context HttpServerRequest http, @Context RoutingContext routing) {
        return handle(parseForm(http.query()), http, routing);
    }

    private Response handle(Map<String, String> form, HttpServerRequest http, RoutingContext routing) {
        String call = form.get("call");
        if (call == null) {
            throw new MalformedHookException("form field 'call' is missing");
        }
        String app = form.get("app");
        String name = form.get("name");
        if (app == null || name == null) {
            throw new MalformedHookException("form fields 'app' and 'name' are required for call=" + Log.value(call));
        }
        Map<String, String> params = new LinkedHashMap<>(form);
        params.keySet().removeAll(OWN_FIELDS);
        PublishRequest req = new PublishRequest(SERVER, StreamKey.DEFAULT_VHOST, app, name, params, form.get("clientid"),
                form.get("addr"), form.get("tcurl"), http.remoteAddress() == null ? null : http.remoteAddress().hostAddress());
        return switch (call) {
            case "publish" -> answer(service.publish(req, service.holdsPublishesOf(SERVER)));
            case "publish_done" -> {
                service.unpublish(req);
                yield ok(null);
            }
            case "play" -> {
                // nginx-rtmp lets the player join once this is answered: only then may a held publish go on.
                AfterAnswer.run(routing, () -> service.played(app, name, params));
                yield ok(null);
            }
            case "play_done", "done", "update", "record_done" -> ok(null);
            default -> throw new MalformedHookException("unknown call '" + Log.value(call) + "'");
        };
    }

    private static Response answer(Decision decision) {
        if (decision instanceof Decision.Deny deny) {
            return ExceptionMappers.json(deny.retryable() ? 503 : 403, new ErrorBody(deny.code(), deny.message()));
        }
        return ok(((Decision.Allow) decision).sessionId());
    }

    private static Response ok(String sessionId) {
        return ExceptionMappers.json(200, sessionId == null ? Map.of("code", 0) : Map.of("code", 0, "sessionId", sessionId));
    }

    static Map<String, String> parseForm(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        if (body == null || body.isBlank()) {
            throw new MalformedHookException("empty body: expected an application/x-www-form-urlencoded form");
        }
        for (String pair : body.strip().split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                form.putIfAbsent(k, v);
            } catch (IllegalArgumentException e) {
                throw new MalformedHookException("body is not a valid form: " + e.getMessage());
            }
        }
        return form;
    }
}
