-- Current targets, filtered by JSON arrays of area ids, source ids and
-- kinds (each flag before its array says "no filter"). NULLS FIRST as
-- SQLite orders them, on PostgreSQL too.
SELECT t.id, t.area_id, t.kind, t.kind_as_printed, t.role, t.gases, t.sector, t.boundary, t.base_year, t.base_value,
       t.base_value_as_printed, t.target_year, t.percent, t.level, t.level_as_printed, t.bau_value, t.intensity_unit,
       t.status, t.status_as_printed, t.status_year, t.year_set, t.achieved_percent, t.source_id, t.report_year,
       t.organisation, t.source_url, t.locator, t.note, t.upload_id
FROM targets t
WHERE t.retired_by IS NULL
  AND (? OR t.area_id IN ({{ids "?"}}))
  AND (? OR t.source_id IN ({{ids "?"}}))
  AND (? OR t.kind IN ({{texts "?"}}))
ORDER BY t.area_id, CASE WHEN t.kind = 'no_target' THEN 1 ELSE 0 END, t.target_year NULLS FIRST, t.report_year DESC, t.id
