-- Climate commitments, the kind of each source, and areas that a
-- dataset merges.

-- What kind of source a value comes from: 'reported' by the city
-- (CDP, C40, city pages), 'official' statistics (Eurostat, UN, national
-- offices) or 'modelled' (one method for every city, such as Carbon
-- Monitor Cities or GHS-UCDB: comparable across a pair, but not what
-- the city reports). Pages label modelled values and never set them
-- against reported ones without saying so.
ALTER TABLE sources ADD COLUMN kind TEXT NOT NULL DEFAULT 'reported'
    CHECK (kind IN ('reported', 'official', 'modelled'));

-- A target is a commitment of an area as one source printed it. Several
-- per area (interim and long-term), and conflicting ones from different
-- sources are all kept. kind 'no_target' records that the area reported,
-- or the source found, no target in report_year: a dated statement, not
-- missing data. Values are kept as printed beside their parsed numbers.
-- role says whether the source printed it as the end (long-term) or an
-- interim target; '' when the source does not say.
-- upload_id and retired_by work as for observations, so that an upload
-- of targets can be rolled back.
CREATE TABLE targets (
    id                     INTEGER PRIMARY KEY,
    area_id                INTEGER NOT NULL REFERENCES areas (id),
    kind                   TEXT    NOT NULL CHECK (kind IN ('absolute', 'intensity', 'bau', 'fixed_level', 'net_zero',
                                                            'carbon_neutrality', 'other', 'no_target')),
    kind_as_printed        TEXT    NOT NULL DEFAULT '',
    role                   TEXT    NOT NULL DEFAULT '' CHECK (role IN ('', 'end', 'interim')),
    gases                  TEXT    NOT NULL DEFAULT '',
    sector                 TEXT    NOT NULL DEFAULT '',
    boundary               TEXT    NOT NULL DEFAULT '',
    base_year              INTEGER CHECK (base_year IS NULL OR base_year BETWEEN 1900 AND 2100),
    base_value             REAL,
    base_value_as_printed  TEXT    NOT NULL DEFAULT '',
    target_year            INTEGER CHECK (target_year IS NULL OR target_year BETWEEN 1900 AND 2100),
    percent                REAL,
    level                  REAL,
    level_as_printed       TEXT    NOT NULL DEFAULT '',
    bau_value              REAL,
    intensity_unit         TEXT    NOT NULL DEFAULT '',
    status                 TEXT    NOT NULL DEFAULT '' CHECK (status IN ('', 'law', 'policy', 'pledge', 'proposed')),
    status_as_printed      TEXT    NOT NULL DEFAULT '',
    status_year            INTEGER,
    year_set               INTEGER,
    achieved_percent       REAL,
    source_id              INTEGER NOT NULL REFERENCES sources (id),
    report_year            INTEGER NOT NULL CHECK (report_year BETWEEN 1900 AND 2100),
    organisation           TEXT    NOT NULL DEFAULT '',
    source_url             TEXT    NOT NULL DEFAULT '',
    locator                TEXT    NOT NULL DEFAULT '',
    note                   TEXT    NOT NULL DEFAULT '',
    upload_id              INTEGER REFERENCES uploads (id),
    retired_by             INTEGER REFERENCES uploads (id)
);
CREATE INDEX targets_area ON targets (area_id) WHERE retired_by IS NULL;
CREATE INDEX targets_upload ON targets (upload_id);

-- A larger area that a dataset reports as one unit and that contains
-- other areas of ours: Carbon Monitor Cities' "Seoul" functional urban
-- area contains Suwon. Its values belong to it, linked to its city as a
-- larger area (parent_id), never to the areas it contains.
CREATE TABLE area_contains (
    area_id     INTEGER NOT NULL REFERENCES areas (id) ON DELETE CASCADE,
    contains_id INTEGER NOT NULL REFERENCES areas (id) ON DELETE CASCADE,
    PRIMARY KEY (area_id, contains_id)
);

-- The current observations, as before, with the kind of their source
-- (a derived value takes its numerator's), so that every page, chart
-- and download can label a modelled value.
DROP VIEW current_observations;
CREATE VIEW current_observations AS
SELECT o.id, o.area_id, o.indicator_id, o.year, o.value, o.value_as_given, o.unit_as_given,
       o.source_id, o.flags, o.flags_as_given, o.note, o.locator, o.source_url, o.upload_id,
       o.numerator_id, o.denominator_id,
       COALESCE(s.code, ns.code) AS source_code,
       COALESCE(NULLIF(s.short_title, ''), s.title, NULLIF(ns.short_title, ''), ns.title) AS source_title,
       COALESCE(s.vintage, ns.vintage) AS source_vintage,
       COALESCE(s.preferred, ns.preferred) AS source_preferred,
       COALESCE(s.kind, ns.kind) AS source_kind
FROM observations o
LEFT JOIN sources s ON s.id = o.source_id
LEFT JOIN observations n ON n.id = o.numerator_id
LEFT JOIN sources ns ON ns.id = n.source_id
WHERE o.retired_by IS NULL;
