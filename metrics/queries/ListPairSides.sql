SELECT pair_id, side, label, country FROM pair_sides ORDER BY pair_id, side
