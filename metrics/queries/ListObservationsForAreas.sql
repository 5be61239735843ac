-- Current observations of the areas in a JSON array of ids.
SELECT id, area_id, indicator_id, year, value, value_as_given, unit_as_given, source_id, flags, flags_as_given, note,
       locator, source_url, upload_id, numerator_id, denominator_id, source_code, source_title, source_vintage, source_preferred, source_kind
FROM current_observations
WHERE area_id IN ({{ids "?"}})
ORDER BY area_id, indicator_id, year NULLS FIRST, id
