-- Current observations of some areas (a JSON array of ids) and some
-- indicators (another), through the index on area and indicator.
SELECT c.id, c.area_id, c.indicator_id, c.year, c.value, c.value_as_given, c.unit_as_given, c.source_id, c.flags, c.flags_as_given, c.note,
       c.locator, c.source_url, c.upload_id, c.numerator_id, c.denominator_id, c.source_code, c.source_title, c.source_vintage, c.source_preferred, c.source_kind
FROM current_observations c
WHERE c.area_id IN ({{ids ":areas"}})
  AND c.indicator_id IN ({{ids ":indicators"}})
ORDER BY c.area_id, c.indicator_id, c.year NULLS FIRST, c.id
