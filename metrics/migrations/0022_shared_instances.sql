-- What several instances on one PostgreSQL database must share instead
-- of keeping it in memory or in their own folders. One SQLite process
-- keeps pending uploads in the spool folder (upload.json, original) and
-- its upload rate limit in memory: SQLite has nothing to do.
{{- if pg}}

-- A pending upload: its record (what upload.json holds on SQLite), its
-- original file, how far its check has got and the heartbeat of the
-- instance checking or publishing it (a lease: boot recovery fails only
-- work whose heartbeat has stopped).
CREATE TABLE pending_uploads (
    key TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    record TEXT NOT NULL,
    original bytea,
    phase TEXT NOT NULL DEFAULT '',
    bytes_read INTEGER NOT NULL DEFAULT 0,
    total_bytes INTEGER NOT NULL DEFAULT 0,
    rows_checked INTEGER NOT NULL DEFAULT 0,
    heartbeat_at timestamptz
);

-- Uses of a rate-limited action (an upload) by key, within its window.
CREATE TABLE rate_hits (
    key TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX rate_hits_key_at ON rate_hits (key, at);
{{- end}}
