package dev.tapedeck.vod;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import dev.tapedeck.contract.Ids;
import dev.tapedeck.contract.StorageKeys;
import dev.tapedeck.contract.StreamKey;
import dev.tapedeck.contract.Topics;
import dev.tapedeck.contract.event.CatalogEntry;
import dev.tapedeck.contract.event.CloudEvent;
import dev.tapedeck.storage.ObjectStore;
import dev.tapedeck.storage.StoredObject;
import dev.tapedeck.testkit.PostgresTestResource;
import dev.tapedeck.testkit.TapedeckTestResource;
import dev.tapedeck.testkit.TopicReader;
import dev.tapedeck.testkit.TopicWriter;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * DELETE and retention end to end on the real bucket, topic and database: every object of the recording removed, a
 * DELETED entry and a tombstone on the topic, LIVE refused; the sweep removes what expired, never a LIVE recording, and
 * finishes a deletion a dead process left halfway. Retention here: the app {@code expiring} keeps recordings 1 h; a
 * sweep every second.
 */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
@TestProfile(DeletionIT.Retention.class)
class DeletionIT {
    /** Short retention windows. */
    public static class Retention implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("tapedeck.vod.retention.apps.expiring", "1h", "tapedeck.vod.retention.interval", "1s");
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String kafka;

    @Inject
    ObjectStore store;

    @Inject
    DataSource db;

    /** A recording in the catalog with slices of two renditions, a replay, and a packager note, all in the bucket. */
    private CatalogEntry recorded(String app, CatalogEntry.Status status, Instant startedAt) throws Exception {
        String id = Ids.uuid7(Clock.fixed(startedAt, java.time.ZoneOffset.UTC));
        StreamKey key = new StreamKey("__defaultVhost__", app, "cam");
        for (String object : objectsOf(key, id)) {
            store.putBytes(object, object.getBytes(StandardCharsets.UTF_8), "application/octet-stream");
        }
        CatalogEntry e = new CatalogEntry(id, key.toString(), app, "cam", status, startedAt,
                status == CatalogEntry.Status.LIVE ? null : startedAt.plusSeconds(60), 60_000, StorageKeys.master(id), List.of(), null,
                Instant.now(), StorageKeys.manifest(id), null, null, 1234, 0, 0, 0);
        TopicWriter.send(kafka, Topics.VODS, id, CloudEvent.of("test", e, Clock.systemUTC()));
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> given().get("/api/v1/recordings/" + id).then().statusCode(200));
        return e;
    }

    private static List<String> objectsOf(StreamKey key, String id) {
        return List.of(StorageKeys.slice(key, id, "source", 0), StorageKeys.slice(key, id, "360p", 0), StorageKeys.master(id),
                StorageKeys.segment(id, "source", 0), StorageKeys.manifest(id), StorageKeys.packagerAttempts(id, "source", 1));
    }

    private List<StoredObject> left(CatalogEntry e) {
        List<StoredObject> left = new ArrayList<>();
        for (String prefix : List.of(StorageKeys.recordingDir(StreamKey.parse(e.streamKey()), e.recordingId()),
                StorageKeys.vodDir(e.recordingId()), StorageKeys.stateDirs(e.recordingId()).get(0))) {
            left.addAll(store.list(prefix));
        }
        return left;
    }

    /** The catalog topic's last two records of the recording: its DELETED entry, then its tombstone. */
    private void assertDeletedOnTheTopic(String id) {
        try (TopicReader vods = new TopicReader(kafka, Topics.VODS)) {
            vods.await(r -> r.key().equals(id) && r.value() == null, Duration.ofSeconds(20));
            List<ConsumerRecord<String, CloudEvent<?>>> mine = vods.seen().stream().filter(r -> r.key().equals(id)).toList();
            assertThat(mine.get(mine.size() - 1).value()).as("a tombstone last").isNull();
            assertThat(mine).as("one tombstone, one DELETED entry: deleted once").filteredOn(r -> r.value() == null).hasSize(1);
            CatalogEntry deleted = (CatalogEntry) mine.get(mine.size() - 2).value().data();
            assertThat(deleted.status()).isEqualTo(CatalogEntry.Status.DELETED);
            assertThat(deleted.effectiveVersion()).as("newer than what the packager wrote")
                    .isGreaterThan(((CatalogEntry) mine.get(0).value().data()).effectiveVersion());
        }
    }

    @Test
    void deleteRemovesEveryObjectOfTheRecordingAndTellsTheTopicAndASecondDeleteIsNotFound() throws Exception {
        CatalogEntry doomed = recorded("deleting", CatalogEntry.Status.READY, Instant.now().minusSeconds(600));
        CatalogEntry neighbour = recorded("deleting", CatalogEntry.Status.READY, Instant.now().minusSeconds(500));

        given().delete("/api/v1/recordings/" + doomed.recordingId()).then().statusCode(204);
        assertThat(left(doomed)).as("no object of the recording is left").isEmpty();
        assertThat(left(neighbour)).as("another recording of the same stream keeps its objects").hasSize(6);
        assertDeletedOnTheTopic(doomed.recordingId());
        given().get("/api/v1/recordings/" + doomed.recordingId()).then().statusCode(404);
        given().delete("/api/v1/recordings/" + doomed.recordingId()).then().statusCode(404).body("code", equalTo("NOT_FOUND"));
        given().get("/api/v1/recordings/" + neighbour.recordingId()).then().statusCode(200);
        given().delete("/api/v1/recordings/not..an..id").then().statusCode(400).body("code", equalTo("INVALID_ID"));
    }

    @Test
    void aLiveRecordingIsNotDeleted() throws Exception {
        CatalogEntry live = recorded("deleting", CatalogEntry.Status.LIVE, Instant.now().minusSeconds(30));
        given().delete("/api/v1/recordings/" + live.recordingId()).then().statusCode(409).body("code", equalTo("RECORDING_LIVE"));
        assertThat(left(live)).hasSize(6);
        given().get("/api/v1/recordings/" + live.recordingId()).then().statusCode(200).body("status", equalTo("LIVE"));
    }

    @Test
    void theSweepDeletesWhatExpiredAndNeverALiveRecordingOrAnotherAppsOrAYoungOne() throws Exception {
        Instant old = Instant.now().minus(Duration.ofHours(2));
        CatalogEntry expired = recorded("expiring", CatalogEntry.Status.READY, old);
        CatalogEntry degraded = recorded("expiring", CatalogEntry.Status.DEGRADED, old.plusSeconds(1));
        CatalogEntry live = recorded("expiring", CatalogEntry.Status.LIVE, old.plusSeconds(2));
        CatalogEntry young = recorded("expiring", CatalogEntry.Status.READY, Instant.now().minus(Duration.ofMinutes(10)));
        CatalogEntry otherApp = recorded("keeping", CatalogEntry.Status.READY, old);

        for (CatalogEntry gone : List.of(expired, degraded)) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/recordings/" + gone.recordingId())
                    .then().statusCode(404));
            assertThat(left(gone)).isEmpty();
            assertDeletedOnTheTopic(gone.recordingId());
        }
        // Sweeps ran after those deletions: what they kept, they keep.
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement("select count(*) from recording_deletion")) {
            var rs = s.executeQuery();
            rs.next();
            assertThat(rs.getInt(1)).as("no deletion left unfinished").isZero();
        }
        for (CatalogEntry kept : List.of(live, young, otherApp)) {
            given().get("/api/v1/recordings/" + kept.recordingId()).then().statusCode(200);
            assertThat(left(kept)).hasSize(6);
        }
    }

    @Test
    void aDeletionCutOffHalfwayIsFinishedByTheNextSweep() throws Exception {
        CatalogEntry half = recorded("interrupted", CatalogEntry.Status.READY, Instant.now().minusSeconds(900));
        // As a process killed in the middle of a deletion leaves it: noted, its slices gone, its replay still there.
        try (Connection c = db.getConnection(); PreparedStatement s = c.prepareStatement(
                "insert into recording_deletion (id, stream_key, reason) values (?, ?, 'deleted through the API')")) {
            s.setString(1, half.recordingId());
            s.setString(2, half.streamKey());
            s.executeUpdate();
        }
        for (StoredObject o : store.list(StorageKeys.recordingDir(StreamKey.parse(half.streamKey()), half.recordingId()))) {
            store.delete(o.key());
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/recordings/" + half.recordingId())
                .then().statusCode(404));
        assertThat(left(half)).as("no orphaned object").isEmpty();
        assertDeletedOnTheTopic(half.recordingId());
    }

    @Test
    void aDeletionStillHeldByALiveProcessIsLeftToItAndFinishedOnceItLetsGo() throws Exception {
        CatalogEntry held = recorded("held", CatalogEntry.Status.READY, Instant.now().minusSeconds(800));
        CatalogEntry control = recorded("held", CatalogEntry.Status.READY, Instant.now().minusSeconds(700));
        try (Connection lock = db.getConnection()) {
            // As a DELETE in progress on another replica: its deletion noted, its lock held.
            try (PreparedStatement s = lock.prepareStatement("select pg_advisory_lock(?)")) {
                s.setLong(1, dev.tapedeck.vod.retention.Deleter.lockOf(held.recordingId()));
                s.execute();
            }
            for (CatalogEntry e : List.of(held, control)) {
                try (PreparedStatement s = lock.prepareStatement(
                        "insert into recording_deletion (id, stream_key, reason) values (?, ?, 'deleted through the API')")) {
                    s.setString(1, e.recordingId());
                    s.setString(2, e.streamKey());
                    s.executeUpdate();
                }
            }
            // A sweep ran: it finished the deletion nobody held.
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/recordings/" + control.recordingId())
                    .then().statusCode(404));
            assertThat(left(held)).as("the held deletion is left to its holder").hasSize(6);
            given().get("/api/v1/recordings/" + held.recordingId()).then().statusCode(200);
            // The holder lets go (a process that dies does when its connection closes; this one goes back to the pool).
            try (PreparedStatement s = lock.prepareStatement("select pg_advisory_unlock(?)")) {
                s.setLong(1, dev.tapedeck.vod.retention.Deleter.lockOf(held.recordingId()));
                s.execute();
            }
        }
        // The next sweep finishes it, once.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> given().get("/api/v1/recordings/" + held.recordingId())
                .then().statusCode(404));
        assertThat(left(held)).isEmpty();
        assertDeletedOnTheTopic(held.recordingId());
    }
}
