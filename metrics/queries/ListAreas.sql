SELECT id, slug, name, local_name, country_iso3, kind, parent_id, latitude, longitude, boundary
FROM areas
ORDER BY CASE kind WHEN 'city' THEN 0 WHEN 'metropolitan' THEN 1 WHEN 'agglomeration' THEN 2 ELSE 3 END, name
