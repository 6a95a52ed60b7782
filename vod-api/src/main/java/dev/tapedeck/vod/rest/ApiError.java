package dev.tapedeck.vod.rest;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** An error answered as JSON {@code {"code": …, "message": …}}. */
public class ApiError extends WebApplicationException {
    public record Body(String code, String message) {
    }

    public ApiError(int status, String code, String message) {
        super(message, Response.status(status).type(MediaType.APPLICATION_JSON).entity(new Body(code, message)).build());
    }
}
