SELECT m.pair_id, m.side, m.area_id
FROM pair_members m
ORDER BY m.pair_id, m.side, m.position
