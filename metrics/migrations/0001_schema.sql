-- Areas are cities and every other territory a figure can be about:
-- metropolitan areas, agglomerations and countries. A non-city area
-- links to the city it belongs to through parent_id, so that a
-- comparison can say which boundary a value describes.
CREATE TABLE areas (
    id           INTEGER PRIMARY KEY,
    slug         TEXT    NOT NULL UNIQUE,
    name         TEXT    NOT NULL,
    local_name   TEXT    NOT NULL DEFAULT '',
    country_iso3 TEXT    NOT NULL CHECK (length(country_iso3) = 3),
    kind         TEXT    NOT NULL CHECK (kind IN ('city', 'metropolitan', 'agglomeration', 'country')),
    parent_id    INTEGER REFERENCES areas (id),
    latitude     REAL,
    longitude    REAL,
    boundary     TEXT    NOT NULL DEFAULT ''
);

-- Every spelling of an area's name, folded (lower case, no diacritics)
-- so that "Kosice" and "TP.HCM" find their city.
CREATE TABLE area_aliases (
    area_id INTEGER NOT NULL REFERENCES areas (id) ON DELETE CASCADE,
    alias   TEXT    NOT NULL,
    folded  TEXT    NOT NULL,
    PRIMARY KEY (area_id, alias)
);
CREATE INDEX area_aliases_folded ON area_aliases (folded);

CREATE TABLE pairs (
    id                INTEGER PRIMARY KEY,
    slug              TEXT    NOT NULL UNIQUE,
    programme         TEXT    NOT NULL,
    programme_country TEXT    NOT NULL,
    confidence        TEXT    NOT NULL,
    evidence          TEXT    NOT NULL DEFAULT '',
    sort_order        INTEGER NOT NULL DEFAULT 0
);

-- A pair has two sides; a side has a label ("Scottish Cities Alliance")
-- and one or more member cities.
CREATE TABLE pair_sides (
    pair_id INTEGER NOT NULL REFERENCES pairs (id) ON DELETE CASCADE,
    side    INTEGER NOT NULL CHECK (side IN (1, 2)),
    label   TEXT    NOT NULL,
    country TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (pair_id, side)
);

CREATE TABLE pair_members (
    pair_id  INTEGER NOT NULL REFERENCES pairs (id) ON DELETE CASCADE,
    side     INTEGER NOT NULL CHECK (side IN (1, 2)),
    area_id  INTEGER NOT NULL REFERENCES areas (id),
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (pair_id, area_id)
);

CREATE TABLE indicators (
    id             INTEGER PRIMARY KEY,
    code           TEXT    NOT NULL UNIQUE,
    theme          TEXT    NOT NULL CHECK (theme IN ('energy', 'climate', 'air', 'transport', 'waste', 'green_space', 'context')),
    unit           TEXT    NOT NULL,
    direction      TEXT    NOT NULL CHECK (direction IN ('lower_is_better', 'higher_is_better', 'neutral')),
    name_en        TEXT    NOT NULL,
    name_vi        TEXT    NOT NULL DEFAULT '',
    definition_en  TEXT    NOT NULL DEFAULT '',
    definition_vi  TEXT    NOT NULL DEFAULT '',
    standards      TEXT    NOT NULL DEFAULT '',
    numerator_id   INTEGER REFERENCES indicators (id),
    denominator_id INTEGER REFERENCES indicators (id),
    factor         REAL,
    context_of_id  INTEGER REFERENCES indicators (id),
    sort_order     INTEGER NOT NULL DEFAULT 0,
    CHECK ((numerator_id IS NULL) = (denominator_id IS NULL))
);

CREATE TABLE sources (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    title         TEXT    NOT NULL,
    short_title   TEXT    NOT NULL DEFAULT '',
    publisher     TEXT    NOT NULL DEFAULT '',
    url           TEXT    NOT NULL DEFAULT '',
    vintage       TEXT    NOT NULL DEFAULT '',
    licence       TEXT    NOT NULL DEFAULT '',
    licence_url   TEXT    NOT NULL DEFAULT '',
    terms         TEXT    NOT NULL DEFAULT '',
    citation      TEXT    NOT NULL DEFAULT '',
    self_reported {{bool}} NOT NULL DEFAULT {{false}},
    preferred     {{bool}} NOT NULL DEFAULT {{false}}
);

CREATE TABLE flags (
    code           TEXT PRIMARY KEY,
    name_en        TEXT NOT NULL,
    name_vi        TEXT NOT NULL DEFAULT '',
    description_en TEXT NOT NULL DEFAULT '',
    description_vi TEXT NOT NULL DEFAULT ''
);

CREATE TABLE uploads (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('seed', 'file')),
    file_name      TEXT    NOT NULL,
    sha256         TEXT    NOT NULL,
    format         TEXT    NOT NULL,
    uploaded_by    TEXT    NOT NULL,
    created_at     TEXT    NOT NULL,
    published_at   TEXT,
    rolled_back_at TEXT,
    status         TEXT    NOT NULL CHECK (status IN ('previewed', 'published', 'rolled_back')),
    rows_new       INTEGER NOT NULL DEFAULT 0,
    rows_changed   INTEGER NOT NULL DEFAULT 0,
    rows_unchanged INTEGER NOT NULL DEFAULT 0,
    rows_rejected  INTEGER NOT NULL DEFAULT 0
);

-- Several observations may exist for one area, indicator and year (two
-- sources, two vintages): all are kept, and the pages choose one by a
-- stated rule. A value the source printed as text is kept with a NULL
-- value and its text in value_as_given. A derived value (per capita)
-- has no source of its own: it points at its numerator and denominator
-- observations instead. retired_by marks an observation replaced by a
-- later upload; nothing is deleted.
CREATE TABLE observations (
    id             INTEGER PRIMARY KEY,
    area_id        INTEGER NOT NULL REFERENCES areas (id),
    indicator_id   INTEGER NOT NULL REFERENCES indicators (id),
    year           INTEGER CHECK (year IS NULL OR year BETWEEN 1900 AND 2100),
    value          REAL,
    value_as_given TEXT    NOT NULL DEFAULT '',
    unit_as_given  TEXT    NOT NULL DEFAULT '',
    source_id      INTEGER REFERENCES sources (id),
    flags          TEXT    NOT NULL DEFAULT '',
    flags_as_given TEXT    NOT NULL DEFAULT '',
    note           TEXT    NOT NULL DEFAULT '',
    locator        TEXT    NOT NULL DEFAULT '',
    source_url     TEXT    NOT NULL DEFAULT '',
    retrieved_via  TEXT    NOT NULL DEFAULT '',
    upload_id      INTEGER REFERENCES uploads (id),
    numerator_id   INTEGER REFERENCES observations (id),
    denominator_id INTEGER REFERENCES observations (id),
    retired_by     INTEGER REFERENCES uploads (id),
    CHECK ((source_id IS NULL) = (numerator_id IS NOT NULL)),
    CHECK ((numerator_id IS NULL) = (denominator_id IS NULL))
);
CREATE INDEX observations_area ON observations (area_id, indicator_id, year) WHERE retired_by IS NULL;
CREATE INDEX observations_indicator ON observations (indicator_id, year) WHERE retired_by IS NULL;
CREATE INDEX observations_upload ON observations (upload_id);

-- meta holds the data version, bumped by every change to observations,
-- so that caches and downloads can name the state they show.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('data_version', '0');
