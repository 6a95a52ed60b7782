package dev.tapedeck.hook.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** ingest-hook settings ({@code tapedeck.hook.*}). */
@ConfigMapping(prefix = "tapedeck.hook")
public interface HookConfig {

    /** How publishers are authorized: {@code none}, {@code static} (a keys file) or {@code hmac} (signed token). */
    @WithDefault("none")
    AuthMode auth();

    /** For {@code static}: a file of lines {@code app/stream token} ({@code app/*} matches any stream). */
    Optional<Path> keysFile();

    /** For {@code hmac}: the shared secret; token = hex HMAC-SHA256 of {@code app/stream:expires}. */
    Optional<String> hmacSecret();

    /** The transcoder's credential; a publish to a reserved {@code *-abr} app must carry it as {@code ?token=}. */
    Optional<String> transcoderToken();

    /**
     * The budget of one callback: catching up with the live registry and Kafka's acknowledgement of everything
     * the hook writes for it share it.
     */
    @WithDefault("2s")
    Duration ackTimeout();

    /**
     * Refuse the publish when Kafka cannot take the event within the budget (true), or allow it and keep its event
     * in the outbox until the broker is back (false). Unpublish events are kept in the outbox in either mode.
     */
    @WithDefault("true")
    boolean failClosed();

    /**
     * Where the outbox keeps events the broker has not acknowledged yet, one file each, so a restarted replica
     * delivers them. Unset: kept in memory only (lost if the process dies before the broker is back).
     */
    Optional<Path> outboxDir();

    /**
     * How long a publish from one of {@link #attachServers()} is held until every player in
     * {@link #attachRoles()} has attached to the stream, so they all start at the first frame. 0 disables
     * the wait. Together with {@link #ackTimeout()} it must stay below the media server's hook timeout
     * (nginx-rtmp's {@code netcall_timeout}, 10 s by default).
     */
    @WithDefault("2s")
    Duration attachWait();

    /**
     * The media servers whose publishes are held for {@link #attachRoles()}: {@code nginx-rtmp} (it keeps no GOP
     * cache, so a late player misses the first frames). Add {@code srs} where SRS lets a player wait for a stream
     * whose {@code on_publish} is still pending: its workers then start at the first frame too, instead of at the
     * GOP they join. {@code zlmediakit} likewise.
     */
    @WithDefault("nginx-rtmp")
    Set<String> attachServers();

    /**
     * Who a source publish waits for: {@code recorder}, plus {@code transcoder} when a transcoder runs (its
     * worker then sees the first frame too, and so do the rungs). Rung publishes wait for the recorder only.
     * Players announce their role with {@code ?tapedeck-role=}.
     */
    @WithDefault("recorder")
    Set<String> attachRoles();

    /**
     * ZLMediaKit sends {@code on_stream_changed} with {@code regist:false} once per protocol it served the stream
     * in; the one of this protocol ends the stream.
     */
    @WithDefault("rtmp")
    String zlmediakitEndSchema();

    /**
     * ZLMediaKit: options added to the answer of an allowed {@code on_publish}, per app, {@code *} for every app (an
     * app's own win): {@code tapedeck.hook.zlmediakit-options."*".enable_mp4=false},
     * {@code tapedeck.hook.zlmediakit-options."live".continue_push_ms=30000}. {@code true}/{@code false} and integers
     * are sent as JSON booleans and numbers, anything else as a string.
     */
    Map<String, Map<String, String>> zlmediakitOptions();

    /** Bearer token of the admin endpoint ({@code POST /admin/publish-url}); unset disables it. From a Secret. */
    Optional<String> adminToken();

    /** Where publishers send their streams, the base of minted publish URLs: {@code rtmp://media.example.com:1935}. */
    @WithDefault("rtmp://127.0.0.1:1935")
    String publishBaseUrl();

    /**
     * A source republished within this long after its last session ended continues that session's recording (the
     * first slice after the gap is marked as a discontinuity); later, it opens a new recording. 0 disables it.
     */
    @WithDefault("30s")
    Duration reconnectWindow();

    /** The reconnect window of an app, where it differs: {@code tapedeck.hook.reconnect-windows."events"=2m}. */
    Map<String, Duration> reconnectWindows();

    /** The reconnect window that applies to a source of this app. */
    default Duration reconnectWindowOf(String app) {
        return reconnectWindows().getOrDefault(app, reconnectWindow());
    }

    /** The longest reconnect window of any app: how far back the live registry reads ended sessions. */
    default Duration longestReconnectWindow() {
        return reconnectWindows().values().stream().reduce(reconnectWindow(), (a, b) -> a.compareTo(b) >= 0 ? a : b);
    }

    /** Authorization modes. */
    enum AuthMode { NONE, STATIC, HMAC }
}
