-- How many areas have any current value of each indicator, from the
-- series counts kept at write time.
SELECT s.indicator_id, COUNT(*) AS areas
FROM series_stats s
GROUP BY s.indicator_id
