package dev.tapedeck.hook.service;

import dev.tapedeck.contract.PublishTokens;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.hook.config.HookConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Decides whether a (validated) stream may be published, per {@link HookConfig#auth()}. */
@ApplicationScoped
public class PublishAuthorizer {
    private final HookConfig config;
    private final Clock clock;
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(PublishAuthorizer.class);

    /** The keys file as last read, with what identified its version. */
    private record Keys(Map<String, String> keys, java.nio.file.attribute.FileTime modified, long size) {
    }

    private volatile Keys staticKeys;

    public PublishAuthorizer(HookConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.staticKeys = config.auth() == HookConfig.AuthMode.STATIC ? loadKeys(config) : new Keys(Map.of(), null, -1);
    }

    /** The static keys, read again when the file changed (an edit or a replaced Secret); a broken edit keeps the old keys. */
    private Map<String, String> keys() {
        Keys k = staticKeys;
        var file = config.keysFile().orElseThrow();
        try {
            if (!Files.getLastModifiedTime(file).equals(k.modified()) || Files.size(file) != k.size()) {
                staticKeys = k = loadKeys(config);
                LOG.infof("keys file %s reloaded: %d entries", file, k.keys().size());
            }
        } catch (IOException | RuntimeException e) {
            LOG.errorf("keys file %s could not be reloaded, keeping the %d keys read before: %s", file, k.keys().size(), e.getMessage());
        }
        return k.keys();
    }

    /** Empty when allowed, else the refusal. */
    public Optional<Decision.Deny> check(StreamKey key, Map<String, String> params) {
        String token = params.get("token");
        if (key.derived()) {
            if (config.transcoderToken().isEmpty() || token == null || !constantTimeEquals(token, config.transcoderToken().get())) {
                return deny("RESERVED_APP", "app '" + key.app() + "' is reserved for the transcoder's rungs");
            }
            return Optional.empty();
        }
        return switch (config.auth()) {
            case NONE -> Optional.empty();
            case STATIC -> checkStatic(key, token);
            case HMAC -> checkHmac(key, token, params.get("expires"));
        };
    }

    private Optional<Decision.Deny> checkStatic(StreamKey key, String token) {
        Map<String, String> keys = keys();
        String expected = keys.getOrDefault(key.app() + "/" + key.stream(), keys.get(key.app() + "/*"));
        if (expected == null || token == null || !constantTimeEquals(token, expected)) {
            return deny("UNAUTHORIZED", "no valid key for " + key.app() + "/" + key.stream());
        }
        return Optional.empty();
    }

    private Optional<Decision.Deny> checkHmac(StreamKey key, String token, String expires) {
        if (token == null || expires == null) {
            return deny("UNAUTHORIZED", "token and expires are required");
        }
        long exp;
        try {
            exp = Long.parseLong(expires);
        } catch (NumberFormatException e) {
            return deny("UNAUTHORIZED", "expires is not a number");
        }
        if (exp < clock.instant().getEpochSecond()) {
            return deny("UNAUTHORIZED", "token expired");
        }
        String expected = PublishTokens.sign(config.hmacSecret().orElseThrow(() -> new IllegalStateException(
                "tapedeck.hook.hmac-secret must be set when auth=hmac")), PublishTokens.message(key.app(), key.stream(), exp));
        return constantTimeEquals(token.toLowerCase(), expected) ? Optional.empty() : deny("UNAUTHORIZED", "token does not match");
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static Optional<Decision.Deny> deny(String code, String message) {
        return Optional.of(new Decision.Deny(code, message, false));
    }

    private static Keys loadKeys(HookConfig config) {
        var file = config.keysFile().orElseThrow(() -> new IllegalStateException("tapedeck.hook.keys-file must be set when auth=static"));
        Map<String, String> keys = new HashMap<>();
        try {
            var modified = Files.getLastModifiedTime(file);
            long size = Files.size(file);
            List<String> lines = Files.readAllLines(file);
            for (int n = 0; n < lines.size(); n++) {
                String l = lines.get(n).strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                String[] parts = l.split("\\s+");
                if (parts.length != 2) {
                    // The line holds a key: say where, never what.
                    throw new IllegalStateException("keys file " + file + ": line " + (n + 1) + " is not 'app/stream token'");
                }
                keys.put(parts[0], parts[1]);
            }
            return new Keys(Map.copyOf(keys), modified, size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read keys file " + file, e);
        }
    }
}
