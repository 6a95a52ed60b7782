package dev.tapedeck.vod.catalog;

import dev.tapedeck.contract.event.CatalogEntry;
import java.time.Instant;
import java.util.List;

/**
 * A listing of recordings: its filters (null or empty: no filter), its order, and where the page begins.
 *
 * @param app           recordings of this app
 * @param stream        recordings of this stream name (with {@code app})
 * @param statuses      any of these
 * @param startedAfter  started at or after
 * @param startedBefore started before
 * @param tag           carrying this tag
 * @param q             a title beginning with it, or containing its words
 * @param order         by recording id: newest or oldest first
 * @param after         the id of the previous page's last recording (from the cursor), null on the first page
 */
public record ListQuery(String app, String stream, List<CatalogEntry.Status> statuses, Instant startedAfter, Instant startedBefore,
        String tag, String q, Order order, String after) {

    public ListQuery {
        statuses = statuses == null ? List.of() : List.copyOf(statuses);
    }

    /** The same query from another position. */
    public ListQuery after(String id) {
        return new ListQuery(app, stream, statuses, startedAfter, startedBefore, tag, q, order, id);
    }

    /** What makes two queries the same listing: every filter and the order, not the position. */
    public String identity() {
        return String.join("\u0000", String.valueOf(app), String.valueOf(stream), statuses.toString(), String.valueOf(startedAfter),
                String.valueOf(startedBefore), String.valueOf(tag), String.valueOf(q), order.name());
    }

    /** Listing orders. */
    public enum Order { NEWEST, OLDEST }
}
