package dev.tapedeck.hook.rest;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** The JSON error answers of ingest-hook. */
public class ExceptionMappers {
    private static final Logger LOG = Logger.getLogger(ExceptionMappers.class);

    @ServerExceptionMapper
    public Response malformed(MalformedHookException e) {
        LOG.warnf("malformed hook call: %s", e.getMessage());
        return json(400, new ErrorBody("MALFORMED_HOOK", e.getMessage()));
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        return json(status, new ErrorBody(status == 404 ? "NOT_FOUND" : "HTTP_" + status, e.getMessage()));
    }

    @ServerExceptionMapper
    public Response unexpected(RuntimeException e) {
        LOG.error("hook failed", e);
        return json(500, new ErrorBody("INTERNAL", e.getClass().getSimpleName() + ": " + e.getMessage()));
    }

    static Response json(int status, Object body) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(body).build();
    }
}
