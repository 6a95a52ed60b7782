-- The catalog's query index: one row per recording, from the compacted tapedeck.vods (the source of truth).
-- Ids are UUIDv7: their byte order is their creation order, so they are the keyset of every listing.
create table recording (
    id          text collate "C" primary key,
    stream_key  text        not null,
    app         text        not null,
    stream      text        not null,
    status      text        not null,
    started_at  timestamptz,
    -- the entry's version (CatalogEntry.effectiveVersion): an older entry never overwrites a newer one
    version     bigint      not null,
    -- the catalog entry as the packager wrote it
    entry       jsonb       not null,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null
);
create index recording_by_stream on recording (app, stream, id);
create index recording_by_status on recording (status, id);
create index recording_by_start on recording (started_at, id);

-- What users edit: kept apart from what the pipeline produced, so that a reindex leaves it alone.
create table recording_edit (
    id          text collate "C" primary key,
    title       text,
    tags        text[]      not null default '{}',
    passthrough text,
    updated_at  timestamptz not null default now()
);
create index recording_edit_tags on recording_edit using gin (tags);
create index recording_edit_title on recording_edit using gin (to_tsvector('simple', coalesce(title, '')));
