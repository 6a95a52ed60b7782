package dev.tapedeck.vod.rest;

import dev.tapedeck.contract.KeysFile;
import dev.tapedeck.vod.config.VodConfig;
import io.quarkus.runtime.Startup;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.Provider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * API keys on {@code /api/*} with {@code tapedeck.vod.api-auth=keys}: {@code Authorization: Bearer <key>}, the key
 * compared in constant time with every key of the file (never logged); {@code read} lists and reads, {@code admin}
 * also changes. 401 {@code UNAUTHORIZED} without a known key, 403 {@code FORBIDDEN} with a read key on a change. Read
 * at start: a keys file that cannot be read stops the service; later, a broken edit keeps the keys read before.
 */
@Startup
@ApplicationScoped
public class ApiKeys {
    private static final Logger LOG = Logger.getLogger(ApiKeys.class);
    private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS");

    /** What a key may do. */
    enum Scope { READ, ADMIN }

    private final KeysFile keys;

    ApiKeys(VodConfig config) {
        if (config.apiAuth() == VodConfig.ApiAuth.NONE) {
            LOG.warn("tapedeck.vod.api-auth=none: anyone who reaches this service can list and change the catalog; "
                    + "set api-auth=keys where clients are not trusted");
            keys = null;
        } else {
            keys = new KeysFile(config.apiKeysFile().orElseThrow(
                    () -> new IllegalStateException("tapedeck.vod.api-keys-file must be set when api-auth=keys")), "key read|admin",
                    LOG::info, LOG::error);
            check(keys.pairs());
        }
    }

    private static void check(Map<String, String> pairs) {
        int n = 0;
        for (String scope : pairs.values()) {
            n++;
            if (!scope.equals("read") && !scope.equals("admin")) {
                throw new IllegalStateException("api keys file: entry " + n + " has the scope '" + scope + "': read or admin");
            }
        }
    }

    /** Filters every request to {@code /api/*}. */
    @Provider
    @Priority(Priorities.AUTHENTICATION)
    public static class Filter implements ContainerRequestFilter {
        @Inject
        ApiKeys keys;

        @Override
        public void filter(ContainerRequestContext request) {
            keys.check(request);
        }
    }

    void check(ContainerRequestContext request) {
        if (keys == null || !request.getUriInfo().getPath().startsWith("/api/")) {
            return;
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        Scope scope = header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) ? null : scopeOf(header.substring(7).strip());
        if (scope == null) {
            request.abortWith(answer(401, "UNAUTHORIZED", "an API key is needed: Authorization: Bearer <key>"));
        } else if (scope == Scope.READ && !READS.contains(request.getMethod())) {
            request.abortWith(answer(403, "FORBIDDEN", "this key may only read; changes need an admin key"));
        }
    }

    /** The scope of {@code presented}, null when no key matches; every key is compared, each in constant time. */
    private Scope scopeOf(String presented) {
        byte[] given = sha256(presented);
        Scope found = null;
        for (Map.Entry<String, String> e : keys.pairs().entrySet()) {
            if (MessageDigest.isEqual(given, sha256(e.getKey())) && found == null) {
                found = e.getValue().equals("admin") ? Scope.ADMIN : e.getValue().equals("read") ? Scope.READ : null;
            }
        }
        return found;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    private static Response answer(int status, String code, String message) {
        Response.ResponseBuilder r = Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError.Body(code, message));
        return (status == 401 ? r.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer") : r).build();
    }
}
