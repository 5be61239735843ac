-- Guideline, target and limit values drawn as lines on charts.
SELECT indicator_id, code, kind, value, label_en, label_vi, short_label, source, source_url
FROM reference_lines
ORDER BY indicator_id, sort_order, code
