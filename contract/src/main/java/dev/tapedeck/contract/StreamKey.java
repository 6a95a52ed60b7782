package dev.tapedeck.contract;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A stream's identity {@code {vhost}/{app}/{stream}}. Each part is validated on construction, so an
 * instance is safe to put in object keys, URLs and file names.
 */
public record StreamKey(String vhost, String app, String stream) {

    /** One part of a stream key: starts with a letter or digit, then up to 63 of {@code [A-Za-z0-9._-]}. */
    public static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** The vhost used when a media server sends none (nginx-rtmp never does). */
    public static final String DEFAULT_VHOST = "__defaultVhost__";
    /** Suffix of the apps that carry derived (rung) streams; reserved for the transcoder. */
    public static final String DERIVED_APP_SUFFIX = "-abr";

    public StreamKey {
        if (!DEFAULT_VHOST.equals(vhost)) {
            requirePart("vhost", vhost);
        }
        requirePart("app", app);
        requirePart("stream", stream);
    }

    /** Parses {@code vhost/app/stream}. */
    public static StreamKey parse(String key) {
        Objects.requireNonNull(key, "stream key");
        String[] parts = key.split("/", -1);
        if (parts.length != 3) {
            throw new InvalidNameException("stream key must be vhost/app/stream, got '" + abbreviate(key) + "'");
        }
        return new StreamKey(parts[0], parts[1], parts[2]);
    }

    /** Checks one part and throws {@link InvalidNameException} with the reason when it is not valid. */
    public static String requirePart(String what, String value) {
        if (value == null || value.isEmpty()) {
            throw new InvalidNameException(what + " is missing");
        }
        if (!PART.matcher(value).matches()) {
            throw new InvalidNameException(what + " '" + abbreviate(value)
                    + "' is not allowed: use 1-64 of [A-Za-z0-9._-], starting with a letter or digit");
        }
        return value;
    }

    /** True when this is a rung published by the transcoder ({@code {app}-abr/{stream}_{rendition}}). */
    public boolean derived() {
        return app.endsWith(DERIVED_APP_SUFFIX);
    }

    @Override
    public String toString() {
        return vhost + "/" + app + "/" + stream;
    }

    private static String abbreviate(String value) {
        String printable = value.replaceAll("\\p{Cntrl}", "?");
        return printable.length() > 80 ? printable.substring(0, 80) + "…" : printable;
    }

    /** A name that cannot be part of a stream key; the message says why. */
    public static final class InvalidNameException extends IllegalArgumentException {
        public InvalidNameException(String message) {
            super(message);
        }
    }
}
