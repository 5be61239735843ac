-- One page of the areas with a latest value of an indicator, lowest
-- first (:areas a JSON array of ids, or NULL for every area).
SELECT s.area_id
FROM series_stats s
WHERE s.indicator_id = :indicator AND s.latest_id IS NOT NULL
  AND (:areas IS NULL OR s.area_id IN (SELECT CAST(a.value AS INTEGER) FROM json_each(:areas) AS a))
ORDER BY s.latest_value, s.area_id
LIMIT :limit OFFSET :offset
