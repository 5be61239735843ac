-- Every current stored (not derived) value with a year, for the
-- upload check's diff and plausibility warnings.
SELECT id, area_id, indicator_id, year, source_id, value, flags, note
FROM observations
WHERE retired_by IS NULL AND numerator_id IS NULL AND year IS NOT NULL AND value IS NOT NULL
ORDER BY id
