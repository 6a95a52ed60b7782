package dev.tapedeck.stack;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The CLI's usage errors; the URL it prints is {@code PublishTokens.url}, tested in contract and against the hook. */
class PublishUrlCommandTest {

    @Test
    void aMissingStreamOrABadTtlIsAUsageError() {
        assertThat(Launcher.publishUrl(new String[] {"publish-url"})).isEqualTo(2);
        assertThat(Launcher.publishUrl(new String[] {"publish-url", "live/studio1", "--ttl", "soon"})).isEqualTo(2);
        assertThat(Launcher.publishUrl(new String[] {"publish-url", "live/../x"})).isEqualTo(2);
    }
}
