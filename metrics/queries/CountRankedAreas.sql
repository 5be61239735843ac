-- How many areas have a latest value of an indicator.
SELECT COUNT(*)
FROM series_stats s
WHERE s.indicator_id = :indicator AND s.latest_id IS NOT NULL
  AND (:areas IS NULL OR s.area_id IN (SELECT CAST(a.value AS INTEGER) FROM json_each(:areas) AS a))
