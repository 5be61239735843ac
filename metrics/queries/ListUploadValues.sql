-- One page of the values an upload brought, each with the value it
-- replaced (if any) and whether it is still current.
SELECT o.id, a.name AS area, a.slug AS area_slug, i.code AS indicator, i.unit, o.year, o.value,
       COALESCE(s.code, '') AS source, o.locator, o.retired_by, old.value AS old_value, old.id AS old_id
FROM observations o
JOIN areas a ON a.id = o.area_id
JOIN indicators i ON i.id = o.indicator_id
LEFT JOIN sources s ON s.id = o.source_id
LEFT JOIN upload_replacements r ON r.upload_id = o.upload_id AND r.replaced_by = o.id
LEFT JOIN observations old ON old.id = r.observation_id
WHERE o.upload_id = ?
ORDER BY o.id
LIMIT ? OFFSET ?
