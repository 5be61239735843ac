SELECT id, slug, programme, programme_country, confidence, evidence, sort_order
FROM pairs
ORDER BY sort_order, slug
