-- Citable links: a page pinned to a data version (?v=N) shows the
-- values as they were at N. Every observation row carries the version
-- from which it is current in its present state (valid_from); when a
-- row stops being current in that state (retired by a publication or a
-- rollback, a derived value computed again, the headline choice moving
-- to another value of its cell) a copy of that state goes to
-- observation_history, valid until the version of the change. The
-- values current at N are then the current rows with valid_from <= N
-- and the copies with valid_from <= N < valid_to, both read through an
-- index on area or indicator. The current pages read the observations
-- as before and never this table.
ALTER TABLE observations ADD COLUMN valid_from INTEGER;
UPDATE observations SET valid_from = (SELECT CAST(m.value AS INTEGER) FROM meta m WHERE m.key = 'data_version');

-- A row written by a change has no valid_from until the change takes its
-- version (metrics/changes.go, bumpDataVersion): this index finds them.
CREATE INDEX observations_unstamped ON observations (id) WHERE valid_from IS NULL;

CREATE TABLE observation_history (
    id                    INTEGER PRIMARY KEY,
    observation_id        INTEGER NOT NULL,
    area_id               INTEGER NOT NULL,
    indicator_id          INTEGER NOT NULL,
    year                  INTEGER,
    value                 REAL,
    value_as_given        TEXT    NOT NULL DEFAULT '',
    unit_as_given         TEXT    NOT NULL DEFAULT '',
    source_id             INTEGER,
    flags                 TEXT    NOT NULL DEFAULT '',
    flags_as_given        TEXT    NOT NULL DEFAULT '',
    note                  TEXT    NOT NULL DEFAULT '',
    locator               TEXT    NOT NULL DEFAULT '',
    source_url            TEXT    NOT NULL DEFAULT '',
    upload_id             INTEGER,
    numerator_id          INTEGER,
    denominator_id        INTEGER,
    numerator_source_id   INTEGER,
    denominator_source_id INTEGER,
    hidden                INTEGER NOT NULL DEFAULT 0,
    valid_from            INTEGER NOT NULL,
    valid_to              INTEGER NOT NULL,
    CHECK (valid_from < valid_to)
);
CREATE INDEX observation_history_area ON observation_history (area_id, valid_to);
CREATE INDEX observation_history_indicator ON observation_history (indicator_id, valid_to);

-- When each data version was made and by what: the publication or the
-- rollback of an upload, or a change of the catalogue or the seed. A
-- pinned page lists these for the versions after its own.
CREATE TABLE data_versions (
    version   INTEGER PRIMARY KEY,
    at        TEXT    NOT NULL,
    kind      TEXT    NOT NULL CHECK (kind IN ('published', 'rolled_back', 'catalogue', 'values')),
    upload_id INTEGER REFERENCES uploads (id)
);

-- The first version whose values can be shown again: the one this
-- migration found (earlier states were not kept).
INSERT INTO meta (key, value) SELECT 'history_from', m.value FROM meta m WHERE m.key = 'data_version';
