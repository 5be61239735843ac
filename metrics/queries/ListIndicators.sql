SELECT id, code, theme, unit, direction, name_en, name_vi, definition_en, definition_vi, standards,
       numerator_id, denominator_id, factor, context_of_id, sort_order, size_dependent, per_capita_id
FROM indicators
ORDER BY CASE theme WHEN 'energy' THEN 0 WHEN 'climate' THEN 1 WHEN 'air' THEN 2 WHEN 'transport' THEN 3
                    WHEN 'waste' THEN 4 WHEN 'green_space' THEN 5 ELSE 6 END, sort_order, code
