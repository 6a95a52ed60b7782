package dev.tapedeck.vod.rest;

import dev.tapedeck.vod.catalog.CatalogUnavailableException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import org.jboss.logging.Logger;

/** The catalog's database is down: 503 {@code CATALOG_UNAVAILABLE}, the reason logged, no stack trace in the answer. */
@Provider
public class CatalogUnavailableMapper implements ExceptionMapper<CatalogUnavailableException> {
    private static final Logger LOG = Logger.getLogger(CatalogUnavailableMapper.class);

    @Override
    public Response toResponse(CatalogUnavailableException e) {
        LOG.warn(e.getMessage());
        return Response.status(503).type(MediaType.APPLICATION_JSON).header("Retry-After", "5")
                .entity(new ApiError.Body("CATALOG_UNAVAILABLE", "the catalog is not available; try again shortly")).build();
    }
}
