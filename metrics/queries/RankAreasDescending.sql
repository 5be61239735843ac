-- One page of the areas with a latest value of an indicator, highest
-- first (:areas a JSON array of ids, or NULL for every area).
SELECT s.area_id
FROM series_stats s
WHERE s.indicator_id = :indicator AND s.latest_id IS NOT NULL
  AND ({{json ":areas"}} IS NULL OR s.area_id IN ({{ids ":areas"}}))
ORDER BY s.latest_value DESC, s.area_id
LIMIT :limit OFFSET :offset
