package dev.tapedeck.vod.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tapedeck.contract.event.CatalogEntry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class CursorsTest {
    private static final Instant NOW = Instant.parse("2026-12-01T10:00:00Z");
    private static final String ID = "019f1af9-b400-7f27-b186-03ee3f83371d";
    private static final ListQuery QUERY = new ListQuery("live", null, List.of(CatalogEntry.Status.READY), null, null, null, null,
            ListQuery.Order.NEWEST, null);

    private static Cursors at(Instant now) {
        return new Cursors("secret", Duration.ofHours(24), Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void aCursorLeadsBackToTheIdItWasMadeFor() {
        assertThat(at(NOW).position(QUERY, at(NOW).next(QUERY, ID))).isEqualTo(ID);
        assertThat(at(NOW).position(QUERY.after(ID), at(NOW).next(QUERY, ID))).as("the position is not part of the listing")
                .isEqualTo(ID);
    }

    @Test
    void aCursorOfAnotherListingOrSecretIsRefused() {
        String cursor = at(NOW).next(QUERY, ID);
        ListQuery oldest = new ListQuery("live", null, List.of(CatalogEntry.Status.READY), null, null, null, null,
                ListQuery.Order.OLDEST, null);
        assertThatThrownBy(() -> at(NOW).position(oldest, cursor)).isInstanceOf(Cursors.InvalidCursorException.class);
        Cursors other = new Cursors("other", Duration.ofHours(24), Clock.fixed(NOW, ZoneOffset.UTC));
        assertThatThrownBy(() -> other.position(QUERY, cursor)).isInstanceOf(Cursors.InvalidCursorException.class);
    }

    @Test
    void anExpiredCursorIsRefused() {
        String cursor = at(NOW).next(QUERY, ID);
        assertThat(at(NOW.plus(Duration.ofHours(24))).position(QUERY, cursor)).isEqualTo(ID);
        assertThatThrownBy(() -> at(NOW.plus(Duration.ofHours(24)).plusSeconds(1)).position(QUERY, cursor))
                .isInstanceOf(Cursors.InvalidCursorException.class).hasMessageContaining("expired");
    }

    @Test
    void everyOtherSpellingOfACursorIsRefused() {
        String cursor = at(NOW).next(QUERY, ID);
        // The last character of a 16-byte signature carries 2 bits: the decoder alone would take 'A' and 'B' alike.
        for (int i = 0; i < cursor.length(); i++) {
            char c = cursor.charAt(i);
            String altered = cursor.substring(0, i) + (c == 'A' ? 'B' : 'A') + cursor.substring(i + 1);
            assertThatThrownBy(() -> at(NOW).position(QUERY, altered)).as("changed at %d: %s", i, altered)
                    .isInstanceOf(Cursors.InvalidCursorException.class);
        }
        for (String bad : List.of("", ".", "garbage", "a.b.c", "%%%.%%%", "x".repeat(400))) {
            assertThatThrownBy(() -> at(NOW).position(QUERY, bad)).as(bad).isInstanceOf(Cursors.InvalidCursorException.class);
        }
    }
}
