-- What each data version changed, so that caches drop exactly the pages
-- a change touches. A row with an area and no indicator means "anything
-- of this area"; an indicator and no area, "this indicator anywhere";
-- neither, "everything" (a new seed, a catalogue edit).
CREATE TABLE data_changes (
    version      INTEGER NOT NULL,
    area_id      INTEGER,
    indicator_id INTEGER
);
CREATE INDEX data_changes_version ON data_changes (version);

-- The catalogue (areas, pairs, indicators, sources, flags) changes only
-- with "everything" changes; its own version lets readers keep it across
-- the publication of new values.
INSERT INTO meta (key, value) VALUES ('catalogue_version', '0');

-- The observations that are current (not retired), with what the pages
-- need of their source. A derived value takes its source's code,
-- vintage and preference from its numerator, so the headline rule treats
-- it like the value it came from.
CREATE VIEW current_observations AS
SELECT o.id, o.area_id, o.indicator_id, o.year, o.value, o.value_as_given, o.unit_as_given,
       o.source_id, o.flags, o.flags_as_given, o.note, o.locator, o.source_url, o.upload_id,
       o.numerator_id, o.denominator_id,
       COALESCE(s.code, ns.code) AS source_code,
       COALESCE(NULLIF(s.short_title, ''), s.title, NULLIF(ns.short_title, ''), ns.title) AS source_title,
       COALESCE(s.vintage, ns.vintage) AS source_vintage,
       COALESCE(s.preferred, ns.preferred) AS source_preferred
FROM observations o
LEFT JOIN sources s ON s.id = o.source_id
LEFT JOIN observations n ON n.id = o.numerator_id
LEFT JOIN sources ns ON ns.id = n.source_id
WHERE o.retired_by IS NULL;
