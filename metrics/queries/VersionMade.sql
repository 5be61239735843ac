-- When a data version was made: the publication, rollback or change of
-- the catalogue that made it. No row for a version made before versions
-- were described.
SELECT at FROM data_versions WHERE version = ?
