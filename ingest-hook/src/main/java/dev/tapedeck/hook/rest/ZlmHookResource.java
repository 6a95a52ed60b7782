package dev.tapedeck.hook.rest;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.hook.config.HookConfig;
import dev.tapedeck.hook.service.Decision;
import dev.tapedeck.hook.service.Log;
import dev.tapedeck.hook.service.PublishRequest;
import dev.tapedeck.hook.service.PublishService;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * ZLMediaKit's web hooks, one URL per event ({@code [hook] on_publish=http://ingest-hook:8081/hooks/zlmediakit/on_publish}
 * …): JSON POSTs answered with {@code {"code":0,…}} to allow and a non-zero code to refuse.
 * <ul>
 * <li>{@code on_publish}: the publish decision;</li>
 * <li>{@code on_stream_changed} with {@code regist:false}: the end of the stream. ZLMediaKit sends it once per
 * protocol it serves the stream in; the one of {@code zlmediakit-end-schema} ({@code rtmp}) counts. It carries no
 * connection id, so it ends the stream's live session only when that was published through the same media server;</li>
 * <li>{@code on_stream_none_reader}: answered {@code close:false}, so a stream is never closed under the recorder;</li>
 * <li>{@code on_play}: a player with {@code tapedeck-role} in its query attached.</li>
 * </ul>
 */
@Path("/hooks/zlmediakit")
public class ZlmHookResource {
    static final String SERVER = "zlmediakit";
    private static final Logger LOG = Logger.getLogger(ZlmHookResource.class);

    private final PublishService service;
    private final ObjectMapper mapper;
    private final HookConfig config;

    ZlmHookResource(PublishService service, ObjectMapper mapper, HookConfig config) {
        this.service = service;
        this.mapper = mapper;
        this.config = config;
    }

    @POST
    @Path("/{event}")
    @Blocking
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public Response hook(@PathParam("event") String event, String body, @Context RoutingContext routing) {
        try {
            return ExceptionMappers.json(200, decide(event, parse(body), routing));
        } catch (MalformedHookException e) {
            LOG.warnf("malformed ZLMediaKit hook call: %s", e.getMessage());
            return ExceptionMappers.json(400, Map.of("code", 400, "msg", "MALFORMED_HOOK: " + e.getMessage()));
        }
    }

    private Map<String, Object> decide(String event, ZlmHookRequest hook, RoutingContext routing) {
        if (hook.app() == null || hook.stream() == null) {
            throw new MalformedHookException("fields 'app' and 'stream' are required");
        }
        String vhost = hook.vhost() == null || hook.vhost().isEmpty() ? StreamKey.DEFAULT_VHOST : hook.vhost();
        PublishRequest req = new PublishRequest(SERVER, vhost, hook.app(), hook.stream(), SrsHookResource.query(hook.params()),
                hook.id(), hook.ip(), null, hook.mediaServerId());
        return switch (event) {
            case "on_publish" -> answer(service.publish(req, service.holdsPublishesOf(SERVER)), options(hook.app()));
            case "on_stream_changed" -> {
                if (hook.regist() == null) {
                    throw new MalformedHookException("field 'regist' is required for on_stream_changed");
                }
                if (!hook.regist() && config.zlmediakitEndSchema().equals(hook.schema())) {
                    // No connection id in this callback: the stream's session from this media server ends.
                    service.unpublish(new PublishRequest(SERVER, vhost, hook.app(), hook.stream(), Map.of(), null, null, null,
                            hook.mediaServerId()));
                }
                yield ok();
            }
            case "on_stream_none_reader" -> Map.of("code", 0, "close", false);
            case "on_play" -> {
                AfterAnswer.run(routing, () -> service.played(hook.app(), hook.stream(), req.params()));
                yield ok();
            }
            default -> throw new MalformedHookException("unknown event '" + Log.value(event) + "'");
        };
    }

    private static Map<String, Object> ok() {
        return Map.of("code", 0, "msg", "success");
    }

    private static Map<String, Object> answer(Decision decision, Map<String, Object> options) {
        if (decision instanceof Decision.Deny deny) {
            return Map.of("code", deny.retryable() ? 503 : 403, "msg", deny.code() + ": " + deny.message());
        }
        Map<String, Object> answer = new java.util.LinkedHashMap<>(options);
        answer.put("code", 0);
        answer.put("msg", "success");
        answer.put("sessionId", ((Decision.Allow) decision).sessionId());
        return answer;
    }

    /** The configured per-stream options of an app's publishes ({@code *}, then the app's own), typed for JSON. */
    Map<String, Object> options(String app) {
        Map<String, Object> options = new java.util.TreeMap<>();
        for (String scope : new String[] {"*", app}) {
            config.zlmediakitOptions().getOrDefault(scope, Map.of()).forEach((k, v) -> options.put(k, typed(v)));
        }
        return options;
    }

    static Object typed(String value) {
        if (value.equals("true") || value.equals("false")) {
            return Boolean.valueOf(value);
        }
        if (value.matches("-?\\d{1,18}")) {
            return Long.valueOf(value);
        }
        return value;
    }

    private ZlmHookRequest parse(String body) {
        return MalformedHookException.readJson(mapper, body, ZlmHookRequest.class, "ZLMediaKit");
    }
}
