SELECT o.id, o.area_id, o.indicator_id, o.year, o.value, o.value_as_given, o.unit_as_given,
       o.source_id, o.flags, o.flags_as_given, o.note, o.locator, o.source_url, o.upload_id,
       o.numerator_id, o.denominator_id,
       s.code AS source_code, COALESCE(NULLIF(s.short_title, ''), s.title) AS source_title, s.vintage AS source_vintage, s.preferred AS source_preferred
FROM observations o
LEFT JOIN sources s ON s.id = o.source_id
WHERE o.id = ?
