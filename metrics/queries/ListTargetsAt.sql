-- The targets current at a data version (a pinned page), with the
-- filters and order of ListTargets: the current rows current since
-- then, and the states kept of those that have ended since
-- (migrations/0026). Parameters: the version three times, then those of
-- ListTargets.
SELECT t.id, t.area_id, t.kind, t.kind_as_printed, t.role, t.gases, t.sector, t.boundary, t.base_year, t.base_value,
       t.base_value_as_printed, t.target_year, t.percent, t.level, t.level_as_printed, t.bau_value, t.intensity_unit,
       t.status, t.status_as_printed, t.status_year, t.year_set, t.achieved_percent, t.source_id, t.report_year,
       t.organisation, t.source_url, t.locator, t.note, t.upload_id
FROM (SELECT c.id, c.area_id, c.kind, c.kind_as_printed, c.role, c.gases, c.sector, c.boundary, c.base_year, c.base_value,
             c.base_value_as_printed, c.target_year, c.percent, c.level, c.level_as_printed, c.bau_value, c.intensity_unit,
             c.status, c.status_as_printed, c.status_year, c.year_set, c.achieved_percent, c.source_id, c.report_year,
             c.organisation, c.source_url, c.locator, c.note, c.upload_id
      FROM targets c
      WHERE c.retired_by IS NULL AND c.valid_from <= CAST(? AS INTEGER)
      UNION ALL
      SELECT h.target_id AS id, h.area_id, h.kind, h.kind_as_printed, h.role, h.gases, h.sector, h.boundary, h.base_year, h.base_value,
             h.base_value_as_printed, h.target_year, h.percent, h.level, h.level_as_printed, h.bau_value, h.intensity_unit,
             h.status, h.status_as_printed, h.status_year, h.year_set, h.achieved_percent, h.source_id, h.report_year,
             h.organisation, h.source_url, h.locator, h.note, h.upload_id
      FROM target_history h
      WHERE h.valid_to > CAST(? AS INTEGER) AND h.valid_from <= CAST(? AS INTEGER)) AS t
WHERE (? OR t.area_id IN ({{ids "?"}}))
  AND (? OR t.source_id IN ({{ids "?"}}))
  AND (? OR t.kind IN ({{texts "?"}}))
ORDER BY t.area_id, CASE WHEN t.kind = 'no_target' THEN 1 ELSE 0 END, t.target_year NULLS FIRST, t.report_year DESC, t.id
