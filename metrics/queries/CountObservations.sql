-- Current stored (not derived) values, from the series counts kept at write time.
SELECT COALESCE(SUM(s.n_stored), 0) FROM series_stats s
