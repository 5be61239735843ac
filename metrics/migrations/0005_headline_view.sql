-- The headline rule in SQL (docs/RULES.md, rule 2); its Go form is
-- better/choose in metrics/choose.go, and TestHeadlineRuleGoAndSQLAgree
-- checks that the two pick the same value for every seeded cell.
-- The observations the pages show: for each area, indicator and year,
-- the one value the headline rule picks (a source staff marked
-- preferred, else the newest vintage, else the first recorded; a derived
-- value ranks as its numerator), and every value without a year or a
-- number, which pages list as they are. Downloads "as shown" read it.
CREATE VIEW shown_observations AS
SELECT id FROM (
    SELECT o.id, o.year, o.value,
           ROW_NUMBER() OVER (
               PARTITION BY o.area_id, o.indicator_id, o.year
               ORDER BY COALESCE(s.preferred, ns.preferred) DESC,
                        COALESCE(s.vintage, ns.vintage) DESC,
                        o.id
           ) AS rank
    FROM observations o
    LEFT JOIN sources s ON s.id = o.source_id
    LEFT JOIN observations n ON n.id = o.numerator_id
    LEFT JOIN sources ns ON ns.id = n.source_id
    WHERE o.retired_by IS NULL AND o.year IS NOT NULL AND o.value IS NOT NULL
) AS ranked
WHERE ranked.rank = 1
UNION ALL
SELECT id FROM observations WHERE retired_by IS NULL AND (year IS NULL OR value IS NULL);
