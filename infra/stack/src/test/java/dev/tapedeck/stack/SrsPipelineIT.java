package dev.tapedeck.stack;

import org.junit.jupiter.api.BeforeAll;

/**
 * {@link SrsTest} with ingest-hook's defaults: SRS publishes are not held for their players, so the recording begins at
 * the GOP the recorder joined and a rung at the GOP its worker joined.
 */
class SrsPipelineIT extends SrsTest {

    @BeforeAll
    static void startDefaults() throws Exception {
        startOn(false);
    }
}
