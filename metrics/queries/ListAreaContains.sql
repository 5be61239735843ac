SELECT area_id, contains_id FROM area_contains ORDER BY area_id, contains_id
