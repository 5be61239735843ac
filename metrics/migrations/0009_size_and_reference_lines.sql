-- Whether an indicator is a total that grows with the size of the area
-- (GHG emitted, energy consumed, cars registered, road deaths) or a rate
-- that does not (per capita, a share, a concentration). Pages give no
-- verdict on a total between two areas (docs/RULES.md, rule 8) and point
-- to the rate named by per_capita_id instead, where there is one.
ALTER TABLE indicators ADD COLUMN size_dependent {{bool}} NOT NULL DEFAULT {{false}};
ALTER TABLE indicators ADD COLUMN per_capita_id INTEGER REFERENCES indicators (id);

-- Values readers compare a series with: WHO air quality guideline levels
-- and interim targets, EU limit values. Stored with their source, loaded
-- by the seed from data/reference_lines.csv.
CREATE TABLE reference_lines (
    indicator_id INTEGER NOT NULL REFERENCES indicators (id) ON DELETE CASCADE,
    code         TEXT    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('guideline', 'interim_target', 'limit_value')),
    value        REAL    NOT NULL,
    label_en     TEXT    NOT NULL,
    label_vi     TEXT    NOT NULL DEFAULT '',
    -- short_label is what the chart writes beside the line ("WHO IT1").
    short_label  TEXT    NOT NULL DEFAULT '',
    source       TEXT    NOT NULL,
    source_url   TEXT    NOT NULL DEFAULT '',
    sort_order   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (indicator_id, code)
);
