-- The current stored (not derived) values with a year of one area and
-- indicator, for the upload check's diff and plausibility warnings,
-- through the index on area, indicator, year and source.
SELECT o.id, o.area_id, o.indicator_id, o.year, o.source_id, o.value, o.flags, o.note
FROM observations o
WHERE o.area_id = :area AND o.indicator_id = :indicator
  AND o.retired_by IS NULL AND o.numerator_id IS NULL AND o.year IS NOT NULL AND o.value IS NOT NULL
ORDER BY o.id
