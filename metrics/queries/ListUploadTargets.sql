-- The targets an upload brought (current or not) and those it retired,
-- for its record page.
SELECT t.id, t.area_id, t.kind, t.kind_as_printed, t.role, t.gases, t.sector, t.boundary, t.base_year, t.base_value,
       t.base_value_as_printed, t.target_year, t.percent, t.level, t.level_as_printed, t.bau_value, t.intensity_unit,
       t.status, t.status_as_printed, t.status_year, t.year_set, t.achieved_percent, t.source_id, t.report_year,
       t.organisation, t.source_url, t.locator, t.note, t.upload_id, t.retired_by
FROM targets t
WHERE t.upload_id = ? OR t.retired_by = ?
ORDER BY t.area_id, t.id
