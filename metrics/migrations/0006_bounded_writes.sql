-- What keeps every write and every read bounded by what it touches, not
-- by how many values the database holds (docs/PERFORMANCE.md, "Scale").

-- Foreign keys checked when a row is deleted: a derived value is
-- deleted and written again when its components change, and each delete
-- looks for rows that point at it. Without these indexes each look-up is
-- a scan of the whole table.
CREATE INDEX observations_numerator ON observations (numerator_id) WHERE numerator_id IS NOT NULL;
CREATE INDEX observations_denominator ON observations (denominator_id) WHERE denominator_id IS NOT NULL;
CREATE INDEX upload_replacements_observation ON upload_replacements (observation_id);
CREATE INDEX upload_replacements_replaced_by ON upload_replacements (replaced_by) WHERE replaced_by IS NOT NULL;

-- A derived value's components' sources, copied when it is derived, so
-- that a source filter finds it through an index, as it finds the
-- source's own values.
ALTER TABLE observations ADD COLUMN numerator_source_id INTEGER REFERENCES sources (id);
ALTER TABLE observations ADD COLUMN denominator_source_id INTEGER REFERENCES sources (id);
UPDATE observations
SET numerator_source_id = (SELECT n.source_id FROM observations n WHERE n.id = observations.numerator_id),
    denominator_source_id = (SELECT d.source_id FROM observations d WHERE d.id = observations.denominator_id)
WHERE numerator_id IS NOT NULL;
CREATE INDEX observations_numerator_source ON observations (numerator_source_id) WHERE numerator_source_id IS NOT NULL;
CREATE INDEX observations_denominator_source ON observations (denominator_source_id) WHERE denominator_source_id IS NOT NULL;

-- The headline choice (DESIGN rule 2), kept at write time: hidden is 1
-- on each current value the rule passes over (another value of the same
-- area, indicator and year is shown), 0 on the one it shows and on every
-- value without a year or a number. Most cells hold one value, so most
-- rows keep the default and a first import writes nothing more.
-- Publication, rollback, seeds and source edits set it again for the
-- cells they touch (metrics/derive.go); on retired values it means
-- nothing, as they are never shown.
ALTER TABLE observations ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;

UPDATE observations SET hidden = 1
WHERE id IN (
    SELECT ranked.id FROM (
        SELECT o.id,
               ROW_NUMBER() OVER (
                   PARTITION BY o.area_id, o.indicator_id, o.year
                   ORDER BY COALESCE(s.preferred, ns.preferred) DESC,
                            COALESCE(s.vintage, ns.vintage) DESC,
                            o.id
               ) AS rank
        FROM observations o
        LEFT JOIN sources s ON s.id = o.source_id
        LEFT JOIN observations n ON n.id = o.numerator_id
        LEFT JOIN sources ns ON ns.id = n.source_id
        WHERE o.retired_by IS NULL AND o.year IS NOT NULL AND o.value IS NOT NULL
    ) AS ranked
    WHERE ranked.rank > 1
);

CREATE INDEX observations_shown_area ON observations (area_id, indicator_id, year) WHERE retired_by IS NULL AND hidden = 0;
CREATE INDEX observations_shown_indicator ON observations (indicator_id, year) WHERE retired_by IS NULL AND hidden = 0;

DROP VIEW shown_observations;
CREATE VIEW shown_observations AS
SELECT o.id FROM observations o WHERE o.retired_by IS NULL AND o.hidden = 0;

-- Per area and indicator: how many current values there are (all, and
-- stored ones, without the derived), the shown ones, and their years,
-- kept at write time for the cells a change touches, so that counts and
-- coverage are read from a table of areas × indicators, not of values.
CREATE TABLE series_stats (
    area_id      INTEGER NOT NULL REFERENCES areas (id),
    indicator_id INTEGER NOT NULL REFERENCES indicators (id),
    n_values     INTEGER NOT NULL,
    n_stored     INTEGER NOT NULL,
    n_shown      INTEGER NOT NULL,
    first_year   INTEGER,
    last_year    INTEGER,
    -- The latest measured value the pages show (projections passed
    -- over): what rankings sort by.
    latest_id    INTEGER,
    latest_value REAL,
    PRIMARY KEY (area_id, indicator_id)
);
CREATE INDEX series_stats_indicator ON series_stats (indicator_id, latest_value);

INSERT INTO series_stats (area_id, indicator_id, n_values, n_stored, n_shown, first_year, last_year)
SELECT o.area_id, o.indicator_id, COUNT(*) AS n_values,
       SUM(CASE WHEN o.numerator_id IS NULL THEN 1 ELSE 0 END) AS n_stored,
       SUM(1 - o.hidden) AS n_shown, MIN(o.year) AS first_year, MAX(o.year) AS last_year
FROM observations o
WHERE o.retired_by IS NULL
GROUP BY o.area_id, o.indicator_id;

UPDATE series_stats SET latest_id = (
    SELECT o.id FROM observations o
    WHERE o.area_id = series_stats.area_id AND o.indicator_id = series_stats.indicator_id
      AND o.retired_by IS NULL AND o.hidden = 0
      AND o.year IS NOT NULL AND o.value IS NOT NULL AND ' ' || o.flags || ' ' NOT LIKE '% projection %'
    ORDER BY o.year DESC LIMIT 1);
UPDATE series_stats SET latest_value = (SELECT o.value FROM observations o WHERE o.id = series_stats.latest_id);
