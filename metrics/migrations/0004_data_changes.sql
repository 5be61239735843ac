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
