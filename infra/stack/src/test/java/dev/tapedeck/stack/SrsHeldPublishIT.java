package dev.tapedeck.stack;

import org.junit.jupiter.api.BeforeAll;

/**
 * {@link SrsTest} with {@code srs} in ingest-hook's {@code attach-servers}: an SRS publish is held until the
 * recorder and the worker play it, so the recording begins with the first frame and the rungs with the source. Needs
 * an SRS whose players can join a publish still waiting for its {@code on_publish} answer (see ingest-hook's README).
 */
class SrsHeldPublishIT extends SrsTest {

    @BeforeAll
    static void startHeld() throws Exception {
        startOn(true);
    }
}
