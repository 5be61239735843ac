-- How many areas have a latest value of an indicator.
SELECT COUNT(*)
FROM series_stats s
WHERE s.indicator_id = :indicator AND s.latest_id IS NOT NULL
  AND ({{json ":areas"}} IS NULL OR s.area_id IN ({{ids ":areas"}}))
