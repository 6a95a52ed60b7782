package dev.tapedeck.vod.rest;

/** Example answers and error lists for the OpenAPI document ({@code /q/openapi}): compile-time constants. */
final class ApiDocs {
    private ApiDocs() {
    }

    static final String RECORDING = """
            {"id": "0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10", "streamKey": "__defaultVhost__/live/demo", "app": "live",
             "stream": "demo", "status": "READY", "startedAt": "2026-11-21T10:15:30.120Z", "endedAt": "2026-11-21T10:16:31.190Z",
             "durationSeconds": 60.0, "durationMillis": 60000, "bytes": 18612340, "gaps": 0, "discontinuities": 0,
             "playbackUrl": "/vod/0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10/master.m3u8",
             "renditions": [{"name": "source", "playlist": "vod/0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10/source/index.m3u8",
               "width": 1280, "height": 720, "frameRate": 30.0, "bandwidth": 2480000, "averageBandwidth": 2010000,
               "codecs": "avc1.64001f,mp4a.40.2", "segments": 12, "durationMillis": 60000}],
             "message": null, "manifestUrl": "/vod/0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10/manifest.json",
             "posterUrl": "/vod/0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10/poster.jpg",
             "thumbnailsUrl": "/vod/0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10/thumbnails.vtt",
             "createdAt": "2026-11-21T10:15:40.002Z", "updatedAt": "2026-11-21T10:16:31.995Z",
             "title": "Launch day", "tags": ["launch", "studio1"], "passthrough": "order-77"}""";

    static final String PAGE = "{\"items\": [" + RECORDING + "], \"nextCursor\": \"MS4wMTkzYTFmMi02YzFlLTdiM2EtOWYwMC01ZDJjMWU3YTliMTAuMTc5NTM0MjQwMA.q2nVx3wWm1f0cQ7sBRr0dA\"}";

    static final String LIVE_ONE = """
            {"streamKey": "__defaultVhost__/live/demo", "app": "live", "stream": "demo",
             "sessionId": "0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10", "recordingId": "0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10",
             "startedAt": "2026-11-21T10:15:30.120Z", "renditions": ["source", "480p", "360p"],
             "recordingUrl": "/api/v1/recordings/0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10",
             "playbackUrl": "/vod/0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10/master.m3u8",
             "posterUrl": "/vod/0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10/poster.jpg"}""";
    static final String LIVE = "{\"items\": [" + LIVE_ONE + "]}";
    static final String NOT_LIVE = """
            {"code": "NOT_LIVE", "message": "live/demo is not live"}""";

    static final String BAD_PARAMETER = """
            {"code": "INVALID_LIMIT", "message": "limit must be a whole number from 1 to 100"}""";
    static final String BAD_EDIT = """
            {"code": "INVALID_FIELD", "message": "unknown field 'owner': title, tags or passthrough"}""";
    static final String NOT_FOUND = """
            {"code": "NOT_FOUND", "message": "no recording 0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10"}""";
    static final String RECORDING_LIVE = """
            {"code": "RECORDING_LIVE", "message": "recording 0193a1f2-6c1e-7b3a-9f00-5d2c1e7a9b10 is LIVE: delete it once it has ended"}""";
    static final String UNAUTHORIZED = """
            {"code": "UNAUTHORIZED", "message": "an API key is needed: Authorization: Bearer <key>"}""";
    static final String FORBIDDEN = """
            {"code": "FORBIDDEN", "message": "this key may only read; changes need an admin key"}""";
    static final String UNAVAILABLE = """
            {"code": "CATALOG_UNAVAILABLE", "message": "the catalog is not available; try again shortly"}""";
    static final String STORAGE_UNAVAILABLE = """
            {"code": "STORAGE_UNAVAILABLE", "message": "object storage is not reachable"}""";

    static final String LIST_ERRORS = "a bad parameter, named by its code: INVALID_STREAM, INVALID_APP, INVALID_STATUS, "
            + "INVALID_STARTED_AFTER, INVALID_STARTED_BEFORE, INVALID_TAG, INVALID_Q, INVALID_ORDER, INVALID_LIMIT, INVALID_CURSOR";
    static final String EDIT_ERRORS = "a bad body: INVALID_TITLE, INVALID_TAGS, INVALID_PASSTHROUGH, INVALID_FIELD, INVALID_BODY; "
            + "or INVALID_ID";
}
