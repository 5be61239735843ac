-- The downloads of one source page through its values in id order
-- (metrics/export.go: `source_id = ? AND id > ? ORDER BY id LIMIT ?`,
-- and the same through a derived value's components). SQLite's index
-- on (source_id) ends with the rowid, so it reads them in that order;
-- PostgreSQL's does not, and at 1.1M values it walked the primary key
-- past 812,646 rows to find the first page of a source's derived values
-- (655 ms against SQLite's 133 ms). The id is now a column of these
-- indexes on both engines, which is what SQLite had.
DROP INDEX observations_source;
CREATE INDEX observations_source ON observations (source_id, id) WHERE retired_by IS NULL;
DROP INDEX observations_numerator_source;
CREATE INDEX observations_numerator_source ON observations (numerator_source_id, id) WHERE numerator_source_id IS NOT NULL;
DROP INDEX observations_denominator_source;
CREATE INDEX observations_denominator_source ON observations (denominator_source_id, id) WHERE denominator_source_id IS NOT NULL;
