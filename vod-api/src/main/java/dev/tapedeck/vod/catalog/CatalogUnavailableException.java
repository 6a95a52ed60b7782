package dev.tapedeck.vod.catalog;

import java.sql.SQLException;

/** The catalog's database could not be reached or answered with an error. */
public class CatalogUnavailableException extends RuntimeException {
    public CatalogUnavailableException(SQLException cause) {
        super("the catalog database is not available: " + cause.getMessage(), cause);
    }
}
