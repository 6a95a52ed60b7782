-- Deletions begun and not yet finished: a deletion is noted here before the first object is removed and forgotten
-- once the recording's objects are gone and its tombstone is on the topic, so that one interrupted halfway (a killed
-- process) is finished by the next sweep: no orphaned objects, no entry without its objects.
create table recording_deletion (
    id           text collate "C" primary key,
    stream_key   text        not null,
    reason       text        not null,
    requested_at timestamptz not null default now()
);
