-- Current observations of the indicators in a JSON array of ids.
SELECT o.id, o.area_id, o.indicator_id, o.year, o.value, o.value_as_given, o.unit_as_given,
       o.source_id, o.flags, o.flags_as_given, o.note, o.locator, o.source_url, o.upload_id,
       o.numerator_id, o.denominator_id,
       COALESCE(s.code, ns.code) AS source_code,
       COALESCE(NULLIF(s.short_title, ''), s.title, NULLIF(ns.short_title, ''), ns.title) AS source_title,
       COALESCE(s.vintage, ns.vintage) AS source_vintage,
       COALESCE(s.preferred, ns.preferred) AS source_preferred
FROM observations o
LEFT JOIN sources s ON s.id = o.source_id
LEFT JOIN observations n ON n.id = o.numerator_id
LEFT JOIN sources ns ON ns.id = n.source_id
WHERE o.retired_by IS NULL
  AND o.indicator_id IN (SELECT value FROM json_each(?))
ORDER BY o.area_id, o.indicator_id, o.year, o.id
