-- The current observations a download or an API page selects, in
-- observation id order (ids never change, so the order is stable and a
-- page can start after the last id it gave). Each list is a JSON array
-- of ids, or NULL for "any"; :from and :to are years or NULL; :limit is
-- -1 for no limit. A derived value (per capita) has no source of its
-- own: its components' sources come along, so that a source filter finds
-- it and a source whose terms forbid redistribution withholds it too.
-- They are looked up only for derived rows (CASE), which keeps the scan
-- of stored values as cheap as a plain SELECT.
SELECT o.id, o.area_id, o.indicator_id, o.year, o.value, o.value_as_given, o.unit_as_given,
       o.source_id, o.flags, o.note, o.numerator_id, o.denominator_id,
       CASE WHEN o.numerator_id IS NOT NULL THEN (SELECT n.source_id FROM observations n WHERE n.id = o.numerator_id) END AS numerator_source_id,
       CASE WHEN o.denominator_id IS NOT NULL THEN (SELECT d.source_id FROM observations d WHERE d.id = o.denominator_id) END AS denominator_source_id
FROM observations o
WHERE o.retired_by IS NULL
  AND o.id > :after
  AND (:areas IS NULL OR o.area_id IN (SELECT value FROM json_each(:areas)))
  AND (:indicators IS NULL OR o.indicator_id IN (SELECT value FROM json_each(:indicators)))
  AND (:sources IS NULL
       OR o.source_id IN (SELECT value FROM json_each(:sources))
       OR (o.numerator_id IS NOT NULL AND (
            (SELECT n.source_id FROM observations n WHERE n.id = o.numerator_id) IN (SELECT value FROM json_each(:sources))
         OR (SELECT d.source_id FROM observations d WHERE d.id = o.denominator_id) IN (SELECT value FROM json_each(:sources)))))
  AND (:from IS NULL OR o.year >= :from)
  AND (:to IS NULL OR o.year <= :to)
  AND (:shown IS NULL OR o.id IN (SELECT id FROM shown_observations))
ORDER BY o.id
LIMIT :limit
