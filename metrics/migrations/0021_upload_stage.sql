-- The checked rows of pending uploads, on PostgreSQL: what SQLite keeps
-- in each upload's stage.db file (ingest/spool.go), kept here in the
-- database so that any instance can preview and publish any upload.
-- UNLOGGED: staged rows are a throw-away copy of a file that is kept,
-- and are written by COPY at the speed a check reads them. SQLite has
-- nothing to do.
{{- if pg}}
CREATE UNLOGGED TABLE upload_stage_rows (
    upload_key     TEXT    NOT NULL,
    id             INTEGER NOT NULL,
    line           INTEGER NOT NULL,
    col            TEXT    NOT NULL,
    changes        TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    warn           {{bool}} NOT NULL,
    area_id        INTEGER,
    indicator_id   INTEGER,
    year           INTEGER,
    value          REAL,
    value_as_given TEXT    NOT NULL,
    unit_as_given  TEXT    NOT NULL,
    source_id      INTEGER,
    new_source     TEXT    NOT NULL,
    flags          TEXT    NOT NULL,
    note           TEXT    NOT NULL,
    old_ids        TEXT    NOT NULL,
    old_value      REAL,
    city           TEXT    NOT NULL,
    indicator      TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    problems       TEXT    NOT NULL,
    -- seq numbers the rows publishing writes (new and changed), in file
    -- order; upload_stage_replaced lists the stored values each changed
    -- row replaces.
    seq            INTEGER,
    PRIMARY KEY (upload_key, id)
);
CREATE INDEX upload_stage_rows_status ON upload_stage_rows (upload_key, status, line);
CREATE UNLOGGED TABLE upload_stage_replaced (
    upload_key TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    old_id     INTEGER NOT NULL
);
CREATE INDEX upload_stage_replaced_key ON upload_stage_replaced (upload_key);
{{- end}}
