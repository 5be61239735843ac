package metrics

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
)

// MaxDenominatorGap is how many years apart a derived value's
// denominator (population) may be from its numerator.
const MaxDenominatorGap = 2

// Flags a derived value inherits from its components: what is true of
// the inventory or the population stays true of the ratio.
var inheritedFlags = map[string]bool{
	"co2_only": true, "self_reported": true, "estimated": true, "provisional": true,
	"projection": true, "partial_area": true, "low_coverage": true, "definition_differs": true,
	"break_in_series": true, "converted": true,
}

type component struct {
	ID        int64   `db:"id"`
	AreaID    int64   `db:"area_id"`
	Year      int     `db:"year"`
	Value     float64 `db:"value"`
	Flags     string  `db:"flags"`
	Vintage   string  `db:"vintage"`
	Preferred bool    `db:"preferred"`
}

// DeriveAll recomputes every derived observation (per capita values)
// from the current stored components, inside the caller's transaction.
// Derived rows are computed, not data, so they are replaced wholesale.
// It returns how many it wrote.
func DeriveAll(ctx context.Context, tx *sqlx.Tx) (int, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM observations WHERE numerator_id IS NOT NULL`); err != nil {
		return 0, err
	}
	var defs []struct {
		ID          int64   `db:"id"`
		Numerator   int64   `db:"numerator_id"`
		Denominator int64   `db:"denominator_id"`
		Factor      float64 `db:"factor"`
	}
	if err := tx.SelectContext(ctx, &defs, `SELECT id, numerator_id, denominator_id, COALESCE(factor, 1) AS factor
		FROM indicators WHERE numerator_id IS NOT NULL ORDER BY id`); err != nil {
		return 0, err
	}
	load := func(ind int64) (map[int64][]component, error) {
		var cs []component
		err := tx.SelectContext(ctx, &cs, `SELECT o.id, o.area_id, o.year, o.value, o.flags, s.vintage, s.preferred
			FROM observations o JOIN sources s ON s.id = o.source_id
			WHERE o.indicator_id = ? AND o.retired_by IS NULL AND o.year IS NOT NULL AND o.value IS NOT NULL
			ORDER BY o.area_id, o.year, o.id`, ind)
		byArea := make(map[int64][]component)
		for _, c := range cs {
			byArea[c.AreaID] = append(byArea[c.AreaID], c)
		}
		return byArea, err
	}
	stmt, err := tx.PreparexContext(ctx, `INSERT INTO observations
		(area_id, indicator_id, year, value, value_as_given, unit_as_given, flags, note, numerator_id, denominator_id)
		VALUES (?, ?, ?, ?, '', '', ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	n := 0
	for _, d := range defs {
		nums, err := load(d.Numerator)
		if err != nil {
			return n, err
		}
		dens, err := load(d.Denominator)
		if err != nil {
			return n, err
		}
		for area, ns := range nums {
			for _, num := range ns {
				den, ok := pickDenominator(num.Year, dens[area])
				if !ok {
					continue
				}
				flags := map[string]bool{}
				for _, f := range strings.Fields(num.Flags + " " + den.Flags) {
					if inheritedFlags[f] {
						flags[f] = true
					}
				}
				var fl []string
				for f := range flags {
					fl = append(fl, f)
				}
				sort.Strings(fl)
				note := ""
				if den.Year != num.Year {
					note = fmt.Sprintf("population of %d", den.Year)
				}
				if _, err := stmt.ExecContext(ctx, area, d.ID, num.Year, derivedValue(num.Value, den.Value, d.Factor),
					strings.Join(fl, " "), note, num.ID, den.ID); err != nil {
					return n, err
				}
				n++
			}
		}
	}
	return n, nil
}

// pickDenominator chooses the denominator for a numerator of one year:
// the same year if there is one, else the nearest within
// MaxDenominatorGap years (the earlier on a tie); among several values
// of that year, the one the headline rule would show.
func pickDenominator(year int, cands []component) (component, bool) {
	var best component
	found := false
	gap := func(c component) int {
		g := c.Year - year
		if g < 0 {
			g = -g
		}
		return g
	}
	for _, c := range cands {
		if c.Value <= 0 || gap(c) > MaxDenominatorGap {
			continue
		}
		if !found {
			best, found = c, true
			continue
		}
		switch {
		case gap(c) < gap(best):
			best = c
		case gap(c) > gap(best):
		case c.Year < best.Year:
			best = c
		case c.Year > best.Year:
		case c.Preferred != best.Preferred:
			if c.Preferred {
				best = c
			}
		case c.Vintage > best.Vintage:
			best = c
		}
	}
	return best, found
}
