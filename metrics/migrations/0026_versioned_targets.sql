-- Commitments as they were at a data version, as values are
-- (migrations/0019): a page pinned to N (?v=N) shows the targets current
-- at N. Every target carries the version from which it is current in
-- its present state (valid_from); when a publication, a rollback or a
-- seed retires it, or a rollback brings it back, a copy of the state
-- that ends goes to target_history, valid until the version of the
-- change. The targets current at N are the current rows with
-- valid_from <= N and the copies with valid_from <= N < valid_to. The
-- current pages read the targets as before and never this table.
ALTER TABLE targets ADD COLUMN valid_from INTEGER;
UPDATE targets SET valid_from = (SELECT CAST(m.value AS INTEGER) FROM meta m WHERE m.key = 'data_version');

-- A target written by a change has no valid_from until the change takes
-- its version (metrics/changes.go, bumpDataVersion): this index finds
-- them.
CREATE INDEX targets_unstamped ON targets (id) WHERE valid_from IS NULL;

CREATE TABLE target_history (
    id                     INTEGER PRIMARY KEY,
    target_id              INTEGER NOT NULL,
    area_id                INTEGER NOT NULL,
    kind                   TEXT    NOT NULL,
    kind_as_printed        TEXT    NOT NULL DEFAULT '',
    role                   TEXT    NOT NULL DEFAULT '',
    gases                  TEXT    NOT NULL DEFAULT '',
    sector                 TEXT    NOT NULL DEFAULT '',
    boundary               TEXT    NOT NULL DEFAULT '',
    base_year              INTEGER,
    base_value             REAL,
    base_value_as_printed  TEXT    NOT NULL DEFAULT '',
    target_year            INTEGER,
    percent                REAL,
    level                  REAL,
    level_as_printed       TEXT    NOT NULL DEFAULT '',
    bau_value              REAL,
    intensity_unit         TEXT    NOT NULL DEFAULT '',
    status                 TEXT    NOT NULL DEFAULT '',
    status_as_printed      TEXT    NOT NULL DEFAULT '',
    status_year            INTEGER,
    year_set               INTEGER,
    achieved_percent       REAL,
    source_id              INTEGER NOT NULL,
    report_year            INTEGER NOT NULL,
    organisation           TEXT    NOT NULL DEFAULT '',
    source_url             TEXT    NOT NULL DEFAULT '',
    locator                TEXT    NOT NULL DEFAULT '',
    note                   TEXT    NOT NULL DEFAULT '',
    upload_id              INTEGER,
    valid_from             INTEGER NOT NULL,
    valid_to               INTEGER NOT NULL,
    CHECK (valid_from < valid_to)
);
CREATE INDEX target_history_area ON target_history (area_id, valid_to);

-- The first version whose commitments can be shown again: the one this
-- migration found. A page pinned to an earlier version (values are kept
-- from history_from) shows the commitments of this one, and says so.
INSERT INTO meta (key, value) SELECT 'target_history_from', m.value FROM meta m WHERE m.key = 'data_version';
