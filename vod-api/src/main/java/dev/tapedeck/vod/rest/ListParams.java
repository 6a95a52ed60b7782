package dev.tapedeck.vod.rest;

import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.vod.catalog.ListQuery;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/** The query parameters of {@code GET /api/v1/recordings}, checked: each bad one is a 400 whose code names it. */
final class ListParams {
    static final int DEFAULT_LIMIT = 25;
    static final int MAX_LIMIT = 100;
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    static final Pattern TAG = Pattern.compile("[a-z0-9_-]{1,40}");
    static final int MAX_Q = 200;

    private ListParams() {
    }

    static ListQuery query(String stream, String app, List<String> statuses, String startedAfter, String startedBefore, String tag,
            String q, String order) {
        String appName = null;
        String streamName = null;
        if (stream != null) {
            String[] parts = stream.split("/", -1);
            if (parts.length != 2 || !NAME.matcher(parts[0]).matches() || !NAME.matcher(parts[1]).matches()) {
                throw bad("INVALID_STREAM", "stream must be app/stream, e.g. live/demo");
            }
            appName = parts[0];
            streamName = parts[1];
        }
        if (app != null) {
            if (!NAME.matcher(app).matches()) {
                throw bad("INVALID_APP", "app must be a name of letters, digits, '.', '_' or '-'");
            }
            if (appName != null && !appName.equals(app)) {
                throw bad("INVALID_APP", "app contradicts the app of stream");
            }
            appName = app;
        }
        List<CatalogEntry.Status> wanted = new ArrayList<>();
        for (String s : statuses == null ? List.<String>of() : statuses) {
            for (String one : s.split(",", -1)) {
                try {
                    CatalogEntry.Status status = CatalogEntry.Status.valueOf(one.trim().toUpperCase(Locale.ROOT));
                    if (status == CatalogEntry.Status.DELETED) {
                        throw new IllegalArgumentException();
                    }
                    wanted.add(status);
                } catch (IllegalArgumentException e) {
                    throw bad("INVALID_STATUS", "status must be LIVE, READY, DEGRADED or FAILED");
                }
            }
        }
        Instant after = instant(startedAfter, "INVALID_STARTED_AFTER", "startedAfter");
        Instant before = instant(startedBefore, "INVALID_STARTED_BEFORE", "startedBefore");
        if (tag != null && !TAG.matcher(tag).matches()) {
            throw bad("INVALID_TAG", "tag must be 1 to 40 of a-z, 0-9, '_' and '-'");
        }
        if (q != null && (q.isBlank() || q.length() > MAX_Q || q.chars().anyMatch(Character::isISOControl))) {
            throw bad("INVALID_Q", "q must be 1 to " + MAX_Q + " characters, without control characters");
        }
        ListQuery.Order o;
        if (order == null || order.equals("newest")) {
            o = ListQuery.Order.NEWEST;
        } else if (order.equals("oldest")) {
            o = ListQuery.Order.OLDEST;
        } else {
            throw bad("INVALID_ORDER", "order must be newest or oldest");
        }
        return new ListQuery(appName, streamName, wanted, after, before, tag, q, o, null);
    }

    static int limit(String limit) {
        if (limit == null) {
            return DEFAULT_LIMIT;
        }
        try {
            int n = Integer.parseInt(limit);
            if (n >= 1 && n <= MAX_LIMIT) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw bad("INVALID_LIMIT", "limit must be a whole number from 1 to " + MAX_LIMIT);
    }

    private static Instant instant(String value, String code, String name) {
        if (value == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (DateTimeParseException e) {
            throw bad(code, name + " must be an RFC 3339 time, e.g. 2026-12-01T10:00:00Z");
        }
    }

    static ApiError bad(String code, String message) {
        return new ApiError(400, code, message);
    }
}
