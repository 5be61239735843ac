-- Staff accounts, sessions, API tokens and the upload pipeline's tables.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL{{if sqlite}} UNIQUE COLLATE NOCASE{{end}},
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'editor')),
    created_at    TEXT    NOT NULL,
    disabled_at   TEXT
);
{{- if pg}}
-- Email addresses are unique whatever their case, as NOCASE makes them
-- on SQLite; sign-in looks them up by lower(email).
CREATE UNIQUE INDEX users_email ON users (lower(email));
{{- end}}

-- Sessions are kept server-side; the cookie holds a random token and
-- only its SHA-256 is stored, so a copy of the database signs nobody in.
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API tokens for scripts, stored hashed; revoked ones stay as a record.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL DEFAULT '',
    created_at TEXT    NOT NULL,
    revoked_at TEXT
);

-- Failed sign-ins by email and by client address, to slow and then
-- refuse repeated guessing.
CREATE TABLE login_failures (
    key TEXT NOT NULL,
    at  TEXT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);

-- A published file upload keeps the key its preview had (the pending
-- upload's folder name), who published it and who rolled it back.
ALTER TABLE uploads ADD COLUMN upload_key TEXT;
ALTER TABLE uploads ADD COLUMN user_id INTEGER REFERENCES users (id);
ALTER TABLE uploads ADD COLUMN rolled_back_by TEXT;
ALTER TABLE uploads ADD COLUMN rows_warned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE uploads ADD COLUMN published_rejected {{bool}} NOT NULL DEFAULT {{false}};
CREATE UNIQUE INDEX uploads_key ON uploads (upload_key) WHERE upload_key IS NOT NULL;

-- The values an upload replaced: each observation it retired, with the
-- value it had, so the history can say "12.1 → 14.3" and a rollback can
-- bring exactly these back.
CREATE TABLE upload_replacements (
    upload_id      INTEGER NOT NULL REFERENCES uploads (id),
    observation_id INTEGER NOT NULL REFERENCES observations (id),
    replaced_by    INTEGER REFERENCES observations (id),
    PRIMARY KEY (upload_id, observation_id)
);

-- Who changed the catalogue, and what, since catalogue rows are edited
-- in place.
CREATE TABLE catalogue_changes (
    id         INTEGER PRIMARY KEY,
    at         TEXT    NOT NULL,
    user_email TEXT    NOT NULL,
    entity     TEXT    NOT NULL,
    entity_key TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX observations_retired ON observations (retired_by) WHERE retired_by IS NOT NULL;
CREATE INDEX observations_key ON observations (area_id, indicator_id, year, source_id) WHERE retired_by IS NULL AND numerator_id IS NULL;
