package dev.tapedeck.hook.service;

import dev.tapedeck.contract.KeysFile;
import dev.tapedeck.contract.PublishTokens;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.hook.config.HookConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/** Decides whether a (validated) stream may be published, per {@link HookConfig#auth()}. */
@ApplicationScoped
public class PublishAuthorizer {
    private final HookConfig config;
    private final Clock clock;
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(PublishAuthorizer.class);

    /** The static keys ({@code app/stream} or {@code app/*} → token), read again when the file changes; null unless static. */
    private final KeysFile staticKeys;

    public PublishAuthorizer(HookConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.staticKeys = config.auth() != HookConfig.AuthMode.STATIC ? null : new KeysFile(config.keysFile()
                .orElseThrow(() -> new IllegalStateException("tapedeck.hook.keys-file must be set when auth=static")),
                "app/stream token", LOG::info, LOG::error);
    }

    /** The static keys, read again when the file changed (an edit or a replaced Secret); a broken edit keeps the old keys. */
    private Map<String, String> keys() {
        return staticKeys.pairs();
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
}
