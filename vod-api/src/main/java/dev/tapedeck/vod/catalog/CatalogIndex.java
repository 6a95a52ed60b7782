package dev.tapedeck.vod.catalog;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.EventCodec;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The catalog's query index in PostgreSQL: one row per recording written from {@code tapedeck.vods} (an older entry
 * never overwrites a newer one; a tombstone deletes the row), and what users edit, kept apart. Every failure to reach
 * the database is a {@link CatalogUnavailableException}.
 */
@ApplicationScoped
public class CatalogIndex {
    private static final String COLUMNS = "r.entry, r.created_at, e.title, e.tags, e.passthrough";

    private final DataSource db;

    CatalogIndex(DataSource db) {
        this.db = db;
    }

    /** A recording as indexed, with its edits. */
    public record Row(CatalogEntry entry, Instant createdAt, Edits edits) {
    }

    /** What users edit; tags never null. */
    public record Edits(String title, List<String> tags, String passthrough) {
        public static final Edits NONE = new Edits(null, List.of(), null);

        public Edits {
            tags = tags == null ? List.of() : List.copyOf(tags);
        }
    }

    /** Writes an entry unless the stored one is as new or newer (the parameters of {@link #bind}). */
    static final String UPSERT = """
            insert into recording (id, stream_key, app, stream, status, started_at, version, entry, updated_at)
            values (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)
            on conflict (id) do update set stream_key = excluded.stream_key, app = excluded.app, stream = excluded.stream,
                status = excluded.status, started_at = excluded.started_at, version = excluded.version,
                entry = excluded.entry, updated_at = excluded.updated_at
            where recording.version < excluded.version""";

    /** Writes {@code entry} unless the stored one is as new or newer; true when it was written. */
    public boolean put(CatalogEntry entry) {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(UPSERT)) {
            bind(s, entry);
            return s.executeUpdate() > 0;
        } catch (SQLException e) {
            throw new CatalogUnavailableException(e);
        }
    }

    /** Sets {@link #UPSERT}'s parameters from {@code entry}. */
    static void bind(PreparedStatement s, CatalogEntry entry) throws SQLException {
        String json;
        try {
            json = EventCodec.mapper().writeValueAsString(entry);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("catalog entry of " + entry.recordingId() + " cannot be written as JSON", e);
        }
        s.setString(1, entry.recordingId());
        s.setString(2, entry.streamKey());
        s.setString(3, entry.app());
        s.setString(4, entry.stream());
        s.setString(5, entry.status().name());
        setInstant(s, 6, entry.startedAt());
        s.setLong(7, entry.effectiveVersion());
        s.setString(8, json);
        setInstant(s, 9, entry.updatedAt() == null ? Instant.now() : entry.updatedAt());
    }

    /**
     * Writes catalog records in order in one transaction: an entry unless the stored one is as new or newer, a tombstone
     * (null value) removes the recording and its edits.
     */
    public void apply(java.util.List<org.apache.kafka.clients.consumer.ConsumerRecord<String, dev.tapedeck.contract.event.CloudEvent<?>>> records) {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement upsert = c.prepareStatement(UPSERT);
                    PreparedStatement remove = c.prepareStatement("delete from recording where id = ?");
                    PreparedStatement forget = c.prepareStatement("delete from recording_edit where id = ?")) {
                for (var r : records) {
                    if (r.value() == null) {
                        // A tombstone follows what it removes: write what came before it first.
                        upsert.executeBatch();
                        remove.setString(1, r.key());
                        remove.executeUpdate();
                        forget.setString(1, r.key());
                        forget.executeUpdate();
                    } else {
                        bind(upsert, (CatalogEntry) r.value().data());
                        upsert.addBatch();
                    }
                }
                upsert.executeBatch();
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } catch (AssertionError e) {
                // The driver's own assertion (JVMs run with -ea) on a batch over a connection the server closed.
                throw new SQLException("the connection failed in a batch: " + e.getMessage(), e);
            }
        } catch (SQLException e) {
            throw new CatalogUnavailableException(e);
        }
    }

    /** Removes the recording and its edits (a tombstone on the topic). */
    public void remove(String recordingId) {
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            for (String table : List.of("recording", "recording_edit")) {
                try (PreparedStatement s = c.prepareStatement("delete from " + table + " where id = ?")) {
                    s.setString(1, recordingId);
                    s.executeUpdate();
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw new CatalogUnavailableException(e);
        }
    }

    public Optional<Row> get(String recordingId) {
        String sql = "select " + COLUMNS + " from recording r left join recording_edit e on e.id = r.id where r.id = ?";
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, recordingId);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(row(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new CatalogUnavailableException(e);
        }
    }

    /** Up to {@code query.limit()} rows after the query's cursor position, in its order. */
    public List<Row> list(ListQuery query, int limit) {
        StringBuilder sql = new StringBuilder("select ").append(COLUMNS)
                .append(" from recording r left join recording_edit e on e.id = r.id where r.status <> 'DELETED'");
        List<Object> args = new ArrayList<>();
        if (query.app() != null) {
            sql.append(" and r.app = ?");
            args.add(query.app());
        }
        if (query.stream() != null) {
            sql.append(" and r.stream = ?");
            args.add(query.stream());
        }
        if (!query.statuses().isEmpty()) {
            sql.append(" and r.status = any(?)");
            args.add(query.statuses().stream().map(Enum::name).toArray(String[]::new));
        }
        if (query.startedAfter() != null) {
            sql.append(" and r.started_at >= ?");
            args.add(query.startedAfter());
        }
        if (query.startedBefore() != null) {
            sql.append(" and r.started_at < ?");
            args.add(query.startedBefore());
        }
        if (query.tag() != null) {
            sql.append(" and e.tags @> array[?]::text[]");
            args.add(query.tag());
        }
        if (query.q() != null) {
            sql.append(" and (e.title ilike ? escape '\\' or to_tsvector('simple', coalesce(e.title, '')) @@ plainto_tsquery('simple', ?))");
            args.add(query.q().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%");
            args.add(query.q());
        }
        boolean newest = query.order() == ListQuery.Order.NEWEST;
        if (query.after() != null) {
            sql.append(newest ? " and r.id < ?" : " and r.id > ?");
            args.add(query.after());
        }
        // A window of start times of at most a month: the rows are fetched by start time (recording_by_start) and the
        // page taken from them, instead of walking every newer id back to the window (ids come in creation order, and
        // the planner cannot know that the window's rows lie together): 6 ms rather than 0.4 s for a day at a million.
        boolean window = query.startedAfter() != null && query.startedBefore() != null
                && !query.startedBefore().isAfter(query.startedAfter().plus(java.time.Duration.ofDays(31)));
        sql.append(window ? " order by r.id || '' " : " order by r.id ").append(newest ? "desc" : "asc").append(" limit ?");
        args.add(limit);
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                Object a = args.get(i);
                if (a instanceof String[] strings) {
                    s.setArray(i + 1, c.createArrayOf("text", strings));
                } else if (a instanceof Instant t) {
                    setInstant(s, i + 1, t);
                } else {
                    s.setObject(i + 1, a);
                }
            }
            List<Row> rows = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(row(rs));
                }
            }
            return rows;
        } catch (SQLException e) {
            throw new CatalogUnavailableException(e);
        }
    }

    /** Stores a recording's edits whole; false when there is no such recording. */
    public boolean edit(String recordingId, Edits edits) {
        String sql = """
                insert into recording_edit (id, title, tags, passthrough, updated_at)
                select id, ?, ?, ?, now() from recording where id = ?
                on conflict (id) do update set title = excluded.title, tags = excluded.tags,
                    passthrough = excluded.passthrough, updated_at = excluded.updated_at""";
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, edits.title());
            s.setArray(2, c.createArrayOf("text", edits.tags().toArray()));
            s.setString(3, edits.passthrough());
            s.setString(4, recordingId);
            return s.executeUpdate() > 0;
        } catch (SQLException e) {
            throw new CatalogUnavailableException(e);
        }
    }

    /** A deletion noted and not yet finished. */
    public record Deletion(String id, String streamKey, String reason, Instant requestedAt) {
    }

    /** Notes that {@code id} is being deleted, before its first object is removed. */
    public void noteDeletion(String id, String streamKey, String reason) {
        update("insert into recording_deletion (id, stream_key, reason) values (?, ?, ?) on conflict (id) do nothing",
                id, streamKey, reason);
    }

    /** Forgets the note once the recording's objects are gone and its tombstone is written. */
    public void forgetDeletion(String id) {
        update("delete from recording_deletion where id = ?", id);
    }

    /** Whether a deletion of {@code id} is noted and not finished. */
    public boolean deletionNoted(String id) {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("select 1 from recording_deletion where id = ?")) {
            s.setString(1, id);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw new CatalogUnavailableException(e);
        }
    }

    /** Deletions noted and not finished, the oldest first. */
    public List<Deletion> pendingDeletions() {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "select id, stream_key, reason, requested_at from recording_deletion order by requested_at, id")) {
            List<Deletion> out = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    out.add(new Deletion(rs.getString(1), rs.getString(2), rs.getString(3), rs.getTimestamp(4).toInstant()));
                }
            }
            return out;
        } catch (SQLException e) {
            throw new CatalogUnavailableException(e);
        }
    }

    /**
     * Up to {@code limit} ids of recordings of {@code app} (null: of every app not in {@code except}) that started before
     * {@code before} and are not LIVE, the oldest first.
     */
    public List<String> expired(String app, List<String> except, Instant before, int limit) {
        String sql = "select id from recording where status not in ('LIVE', 'DELETED') and started_at < ? and "
                + (app != null ? "app = ?" : "app <> all(?)") + " order by started_at, id limit ?";
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            setInstant(s, 1, before);
            if (app != null) {
                s.setString(2, app);
            } else {
                s.setArray(2, c.createArrayOf("text", except.toArray()));
            }
            s.setInt(3, limit);
            List<String> ids = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            return ids;
        } catch (SQLException e) {
            throw new CatalogUnavailableException(e);
        }
    }

    /**
     * Runs {@code work} while holding the database-wide lock {@code key} (a session advisory lock): on one replica at a
     * time; false, without running it, when another holds it.
     */
    public boolean whileHolding(long key, Runnable work) {
        try (Connection c = db.getConnection()) {
            boolean held;
            try (PreparedStatement s = c.prepareStatement("select pg_try_advisory_lock(?)")) {
                s.setLong(1, key);
                try (ResultSet rs = s.executeQuery()) {
                    held = rs.next() && rs.getBoolean(1);
                }
            }
            if (!held) {
                return false;
            }
            try {
                work.run();
                return true;
            } finally {
                try (PreparedStatement s = c.prepareStatement("select pg_advisory_unlock(?)")) {
                    s.setLong(1, key);
                    s.execute();
                }
            }
        } catch (SQLException e) {
            throw new CatalogUnavailableException(e);
        }
    }

    private void update(String sql, String... args) {
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                s.setString(i + 1, args[i]);
            }
            s.executeUpdate();
        } catch (SQLException e) {
            throw new CatalogUnavailableException(e);
        }
    }

    private static Row row(ResultSet rs) throws SQLException {
        CatalogEntry entry;
        try {
            entry = EventCodec.mapper().readValue(rs.getString(1), CatalogEntry.class);
        } catch (JsonProcessingException e) {
            throw new SQLException("a stored catalog entry is not readable: " + e.getOriginalMessage(), e);
        }
        Array tags = rs.getArray(4);
        Edits edits = new Edits(rs.getString(3), tags == null ? List.of() : Arrays.asList((String[]) tags.getArray()), rs.getString(5));
        return new Row(entry, rs.getTimestamp(2).toInstant(), edits);
    }

    private static void setInstant(PreparedStatement s, int i, Instant t) throws SQLException {
        if (t == null) {
            s.setNull(i, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            s.setObject(i, OffsetDateTime.ofInstant(t, ZoneOffset.UTC));
        }
    }
}
