package dev.tapedeck.vod.config;

import dev.tapedeck.vod.catalog.Cursors;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.time.Clock;
import org.jboss.logging.Logger;

/** The listing cursors, signed with {@code tapedeck.vod.cursor-secret}. */
@ApplicationScoped
public class CursorsProducer {
    private static final Logger LOG = Logger.getLogger(CursorsProducer.class);

    @Produces
    @ApplicationScoped
    Cursors cursors(VodConfig config) {
        if (config.cursorSecret().equals(VodConfig.LOCAL_CURSOR_SECRET)) {
            LOG.warn("tapedeck.vod.cursor-secret is the local default: set a secret of your own where clients are not trusted");
        }
        return new Cursors(config.cursorSecret(), config.cursorLifetime(), Clock.systemUTC());
    }
}
