-- How many current observations a selection holds (the same conditions
-- as ExportObservations).
SELECT COUNT(*)
FROM observations o
WHERE o.retired_by IS NULL
  AND (:areas IS NULL OR o.area_id IN (SELECT value FROM json_each(:areas)))
  AND (:indicators IS NULL OR o.indicator_id IN (SELECT value FROM json_each(:indicators)))
  AND (:sources IS NULL
       OR o.source_id IN (SELECT value FROM json_each(:sources))
       OR (o.numerator_id IS NOT NULL AND (
            (SELECT n.source_id FROM observations n WHERE n.id = o.numerator_id) IN (SELECT value FROM json_each(:sources))
         OR (SELECT d.source_id FROM observations d WHERE d.id = o.denominator_id) IN (SELECT value FROM json_each(:sources)))))
  AND (:from IS NULL OR o.year >= :from)
  AND (:to IS NULL OR o.year <= :to)
  AND (:shown IS NULL OR o.id IN (SELECT id FROM shown_observations))
