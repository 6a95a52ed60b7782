package dev.tapedeck.storage;

import java.time.Instant;

/** What a stat or listing says of one object. */
public record StoredObject(String key, long size, String etag, String contentType, Instant lastModified) {
}
