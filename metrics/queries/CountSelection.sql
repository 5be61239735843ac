-- How many current observations a selection holds (the same conditions
-- as ExportObservations).
SELECT COUNT(*)
FROM observations o
LEFT JOIN observations n ON n.id = o.numerator_id
LEFT JOIN observations d ON d.id = o.denominator_id
WHERE o.retired_by IS NULL
  AND (:areas IS NULL OR o.area_id IN (SELECT value FROM json_each(:areas)))
  AND (:indicators IS NULL OR o.indicator_id IN (SELECT value FROM json_each(:indicators)))
  AND (:sources IS NULL
       OR o.source_id IN (SELECT value FROM json_each(:sources))
       OR n.source_id IN (SELECT value FROM json_each(:sources))
       OR d.source_id IN (SELECT value FROM json_each(:sources)))
  AND (:from IS NULL OR o.year >= :from)
  AND (:to IS NULL OR o.year <= :to)
