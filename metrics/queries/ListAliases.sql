SELECT area_id, alias, folded FROM area_aliases ORDER BY area_id, alias
