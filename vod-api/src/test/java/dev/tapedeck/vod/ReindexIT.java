package dev.tapedeck.vod;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.testkit.PostgresTestResource;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicWriter;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** The index rebuilt from the topic gives the same rows, whatever happened to it, and keeps what users edited. */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class ReindexIT {
    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @Inject
    DataSource db;

    private CatalogEntry entry(String id, CatalogEntry.Status status, long version) {
        Instant at = Instant.parse("2026-03-01T00:00:00Z");
        return new CatalogEntry(id, "__defaultVhost__/reindex/x", "reindex", "x", status, at, at.plusSeconds(60), 60_000,
                "vod/" + id + "/master.m3u8", List.of(), null, at.plusSeconds(61), null, null, null, 100, 0, 0, version);
    }

    private void send(CatalogEntry e) throws Exception {
        TopicWriter.send(kafka, Topics.VODS, e.recordingId(), CloudEvent.of("test", e, Clock.systemUTC()));
    }

    /** Every row of this test's app, as stored: id, status, version, entry. */
    private List<String> rows() throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select id, status, version, entry::text from recording where app = 'reindex' order by id")) {
            while (rs.next()) {
                rows.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getLong(3) + " " + rs.getString(4));
            }
        }
        return rows;
    }

    private void sql(String statement) throws Exception {
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.executeUpdate(statement);
        }
    }

    @Test
    void aRebuildFromTheTopicGivesTheSameRowsAndKeepsTheEdits() throws Exception {
        Instant base = Instant.parse("2026-03-01T00:00:00Z");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(Ids.uuid7(Clock.fixed(base.plusSeconds(i), ZoneOffset.UTC)));
        }
        // Entries twice and out of order, and a recording that was removed.
        send(entry(ids.get(0), CatalogEntry.Status.LIVE, 1));
        send(entry(ids.get(0), CatalogEntry.Status.READY, 2));
        send(entry(ids.get(1), CatalogEntry.Status.DEGRADED, 5));
        send(entry(ids.get(1), CatalogEntry.Status.LIVE, 4));
        send(entry(ids.get(2), CatalogEntry.Status.READY, 1));
        send(entry(ids.get(3), CatalogEntry.Status.READY, 1));
        TopicWriter.send(kafka, Topics.VODS, ids.get(3), null);
        send(entry(ids.get(4), CatalogEntry.Status.FAILED, 1));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(rows()).hasSize(4));
        given().contentType("application/json").body("{\"title\": \"Kept\", \"tags\": [\"kept\"]}")
                .patch("/api/v1/recordings/" + ids.get(2)).then().statusCode(200);
        List<String> before = rows();
        assertThat(before).anyMatch(r -> r.startsWith(ids.get(1) + " DEGRADED 5 "));

        // The index goes wrong: a row lost, one rolled back to an old entry, one that the topic never had.
        sql("delete from recording where id = '" + ids.get(0) + "'");
        sql("update recording set status = 'LIVE', version = 0 where id = '" + ids.get(1) + "'");
        String stray = Ids.uuid7(Clock.fixed(base.plusSeconds(30), ZoneOffset.UTC));
        sql("insert into recording (id, stream_key, app, stream, status, started_at, version, entry, updated_at) select '" + stray
                + "', stream_key, app, stream, status, started_at, version, entry, updated_at from recording where id = '" + ids.get(4) + "'");
        assertThat(rows()).isNotEqualTo(before);

        given().post("/api/v1/admin/reindex").then().statusCode(200).body("rows", org.hamcrest.Matchers.greaterThanOrEqualTo(4));
        assertThat(rows()).as("the same rows as the indexer made").isEqualTo(before);
        given().get("/api/v1/recordings/" + ids.get(2)).then().statusCode(200).body("title", equalTo("Kept"))
                .body("tags", equalTo(List.of("kept")));
        given().get("/api/v1/recordings/" + stray).then().statusCode(404);
    }
}
