package metrics

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
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
	SourceID  int64   `db:"source_id"`
	AreaID    int64   `db:"area_id"`
	Year      int     `db:"year"`
	Value     float64 `db:"value"`
	Flags     string  `db:"flags"`
	Vintage   string  `db:"vintage"`
	Preferred bool    `db:"preferred"`
}

// derivedDef is a derived indicator: numerator / denominator × factor,
// of the same area.
type derivedDef struct {
	ID          int64   `db:"id"`
	Numerator   int64   `db:"numerator_id"`
	Denominator int64   `db:"denominator_id"`
	Factor      float64 `db:"factor"`
}

// shownChanges is the headline rule's SQL form (docs/RULES.md, rule 2;
// its Go form is better and choose in choose.go, and
// TestHeadlineRuleGoAndSQLAgree checks that the two agree). It selects
// the current dated values, among those where holds, whose headline
// choice is not yet what the rule gives: hidden on every value of a
// cell (area, indicator, year) but the one the rule shows, and on none
// without a number. Publications, rollbacks and seeds run it on the
// series they touch; DeriveAll on the whole table.
func shownChanges(where string) string {
	return `SELECT cell.id FROM (
		        SELECT o.id, o.hidden, o.value,
		               ROW_NUMBER() OVER (
		                   PARTITION BY o.area_id, o.indicator_id, o.year
		                   ORDER BY CASE WHEN o.value IS NULL THEN 1 ELSE 0 END,
		                            COALESCE(s.preferred, ns.preferred) DESC, COALESCE(s.vintage, ns.vintage) DESC, o.id
		               ) AS rank
		        FROM observations o
		        LEFT JOIN sources s ON s.id = o.source_id
		        LEFT JOIN observations n ON n.id = o.numerator_id
		        LEFT JOIN sources ns ON ns.id = n.source_id
		        WHERE ` + where + ` AND o.year IS NOT NULL AND o.retired_by IS NULL
		    ) AS cell
		    WHERE cell.hidden <> CASE WHEN cell.value IS NULL OR cell.rank = 1 THEN 0 ELSE 1 END`
}

// seriesShownChanges is shownChanges for one series (:area, :indicator).
var seriesShownChanges = shownChanges(`o.area_id = :area AND o.indicator_id = :indicator`)

// The statements a publication, a rollback, a seed or a source edit runs
// for each cell (area × indicator × year) it touches. Each reads or
// writes through an index on the cell; TestWritePathPlans holds them to
// that with EXPLAIN QUERY PLAN, so that their cost follows the size of
// the change, not the size of the table.
var writePathSQL = map[string]string{
	"derived definitions": `SELECT i.id, i.numerator_id, i.denominator_id, COALESCE(i.factor, 1) AS factor
		FROM indicators i WHERE i.numerator_id IS NOT NULL ORDER BY i.id`,
	// The derived values of a cell are kept as they were before they are
	// computed again (history.go).
	"keep derived cell": keptObservations.closeSQL(`o.area_id = :area AND o.indicator_id = :indicator AND o.year = :year
		  AND o.numerator_id IS NOT NULL`, ":version"),
	"delete derived cell": `DELETE FROM observations
		WHERE area_id = :area AND indicator_id = :indicator AND year = :year
		  AND retired_by IS NULL AND numerator_id IS NOT NULL`,
	"components": `SELECT o.id, o.source_id, o.area_id, o.year, o.value, o.flags, s.vintage, s.preferred
		FROM observations o JOIN sources s ON s.id = o.source_id
		WHERE o.area_id = :area AND o.indicator_id = :indicator AND o.year BETWEEN :from AND :to
		  AND o.retired_by IS NULL AND o.value IS NOT NULL
		ORDER BY o.year, o.id`,
	"insert derived": `INSERT INTO observations
		(area_id, indicator_id, year, value, value_as_given, unit_as_given, flags, note, numerator_id, denominator_id,
		 numerator_source_id, denominator_source_id)
		VALUES (:area, :indicator, :year, :value, '', '', :flags, :note, :numerator, :denominator, :numerator_source, :denominator_source)`,
	// Sets the choice in every dated cell of a series: hidden on every
	// current value but the one the headline rule shows and those without
	// a number (rows already right are left alone, so a series of one
	// value a year is only read). One statement a series, not one a cell:
	// a change touches its series' years together.
	"mark shown": `UPDATE observations SET hidden = 1 - hidden, valid_from = NULL
		WHERE id IN (` + seriesShownChanges + `)`,
	// A value whose choice changes is kept as it was first (history.go)
	// and is current in its new state from the change's version on.
	"keep shown": keptObservations.closeSQL(`o.id IN (`+seriesShownChanges+`)`, ":version"),
	// Values without a year are all shown while current (one a rollback
	// brings back may have been hidden before).
	"mark shown undated": `UPDATE observations SET hidden = 0, valid_from = NULL
		WHERE area_id = :area AND indicator_id = :indicator AND year IS NULL AND retired_by IS NULL AND hidden = 1`,
	"keep shown undated": keptObservations.closeSQL(`o.area_id = :area AND o.indicator_id = :indicator AND o.year IS NULL AND o.hidden = 1`, ":version"),
	"series stats": `INSERT INTO series_stats (area_id, indicator_id, n_values, n_stored, n_shown, first_year, last_year)
		SELECT :area, :indicator, COUNT(*), COALESCE(SUM(CASE WHEN o.numerator_id IS NULL THEN 1 ELSE 0 END), 0),
		       COALESCE(SUM(1 - o.hidden), 0), MIN(o.year), MAX(o.year)
		FROM observations o
		WHERE o.area_id = :area AND o.indicator_id = :indicator AND o.retired_by IS NULL
		ON CONFLICT (area_id, indicator_id) DO UPDATE SET n_values = excluded.n_values, n_stored = excluded.n_stored,
			n_shown = excluded.n_shown, first_year = excluded.first_year, last_year = excluded.last_year`,
	// The latest measured value the pages show, as Dataset.Latest picks it.
	"series latest": `UPDATE series_stats SET latest_id = (
		    SELECT o.id FROM observations o
		    WHERE o.area_id = :area AND o.indicator_id = :indicator AND o.retired_by IS NULL AND o.hidden = 0
		      AND o.year IS NOT NULL AND o.value IS NOT NULL AND ' ' || o.flags || ' ' NOT LIKE '% projection %'
		    ORDER BY o.year DESC LIMIT 1)
		WHERE area_id = :area AND indicator_id = :indicator`,
	"series latest value": `UPDATE series_stats SET latest_value = (SELECT o.value FROM observations o WHERE o.id = series_stats.latest_id)
		WHERE area_id = :area AND indicator_id = :indicator`,
	"drop empty series": `DELETE FROM series_stats WHERE area_id = :area AND indicator_id = :indicator AND n_values = 0`,
	// The cells an upload touches: those of the values it brought and of
	// those it retired.
	"upload cells": `SELECT o.area_id, o.indicator_id, o.year FROM observations o WHERE o.upload_id = :upload
		UNION
		SELECT r.area_id, r.indicator_id, r.year FROM observations r WHERE r.retired_by = :upload`,
	// The cells of one source's current values (its preference or vintage
	// changed, so the headline choice may change wherever it has values).
	"source cells": `SELECT DISTINCT o.area_id, o.indicator_id, o.year FROM observations o
		WHERE o.source_id = :source AND o.retired_by IS NULL`,
}

// cell is one area × indicator × year; Year is NULL for the values a
// source printed without one.
type cell struct {
	Area      int64         `db:"area_id"`
	Indicator int64         `db:"indicator_id"`
	Year      sql.NullInt64 `db:"year"`
}

// Cells is a set of area × indicator × year cells a change touched.
type Cells map[cell]struct{}

func (cs Cells) add(c cell) { cs[c] = struct{}{} }

func collectCells(ctx context.Context, tx *sqlx.Tx, into Cells, query string, arg map[string]any) error {
	rows, err := tx.NamedQuery(query, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c cell
		if err := rows.StructScan(&c); err != nil {
			return err
		}
		into.add(c)
	}
	return rows.Err()
}

// UploadCells collects the cells of the values an upload brought and of
// those it retired, inside the caller's transaction. A rollback collects
// them before it changes anything.
func UploadCells(ctx context.Context, tx *sqlx.Tx, uploadID int64, into Cells) error {
	return collectCells(ctx, tx, into, writePathSQL["upload cells"], map[string]any{"upload": uploadID})
}

// RefreshUpload brings what is kept at write time up to date after the
// publication or rollback of an upload (or a seed), inside the caller's
// transaction, for the cells collected by UploadCells (plus any others).
// The values it retired need nothing: a retired value is never shown.
func RefreshUpload(ctx context.Context, tx *sqlx.Tx, uploadID int64, cells Cells) (int, error) {
	return RefreshCells(ctx, tx, cells)
}

// SourceCells collects the cells where a source has current values.
func SourceCells(ctx context.Context, tx *sqlx.Tx, sourceID int64, into Cells) error {
	return collectCells(ctx, tx, into, writePathSQL["source cells"], map[string]any{"source": sourceID})
}

// writeStmts are the per-cell statements, prepared once per change.
type writeStmts map[string]*sqlx.NamedStmt

func prepareWrites(ctx context.Context, tx *sqlx.Tx, names ...string) (writeStmts, error) {
	ws := writeStmts{}
	for _, n := range names {
		st, err := tx.PrepareNamedContext(ctx, writePathSQL[n])
		if err != nil {
			ws.close()
			return nil, fmt.Errorf("prepare %s: %w", n, err)
		}
		ws[n] = st
	}
	return ws, nil
}

func (ws writeStmts) close() {
	for _, st := range ws {
		st.Close()
	}
}

// refreshAllFloor is the number of touched cells below which a change
// is always refreshed cell by cell.
const refreshAllFloor = 100

// RefreshCells brings everything kept at write time up to date for the
// cells a change touched, inside the caller's transaction: the derived
// values computed from them (a numerator's cell, and the cells within
// MaxDenominatorGap years of a denominator's), the headline choice of
// each cell, and the per-series counts. Its cost follows the number of
// cells, not the size of the table. It returns how many derived values
// it wrote.
func RefreshCells(ctx context.Context, tx *sqlx.Tx, base Cells) (int, error) {
	if len(base) == 0 {
		return 0, nil
	}
	// A change that touches a large share of the table (a first big
	// import, or each raw file of a seed on a fresh database) is cheaper
	// done in a few passes over all of it: about ten times cheaper per
	// value than one cell at a time. A change of a few cells stays on the
	// per-cell path whatever the table's size.
	if len(base) > refreshAllFloor {
		var total int
		if err := tx.GetContext(ctx, &total, `SELECT COALESCE(SUM(s.n_values), 0) FROM series_stats s`); err != nil {
			return 0, err
		}
		if len(base)*10 > total {
			return DeriveAll(ctx, tx)
		}
	}
	var defs []derivedDef
	if err := tx.SelectContext(ctx, &defs, writePathSQL["derived definitions"]); err != nil {
		return 0, err
	}
	version, err := nextVersion(ctx, tx)
	if err != nil {
		return 0, err
	}
	ws, err := prepareWrites(ctx, tx, "keep derived cell", "delete derived cell", "components", "insert derived",
		"keep shown", "mark shown", "keep shown undated", "mark shown undated", "series stats", "series latest", "series latest value", "drop empty series")
	if err != nil {
		return 0, err
	}
	defer ws.close()

	// The derived cells the touched components feed.
	derived := Cells{}
	for c := range base {
		if !c.Year.Valid {
			continue // a value without a year is no component
		}
		for _, d := range defs {
			if c.Indicator == d.Numerator {
				derived.add(cell{c.Area, d.ID, c.Year})
			}
			if c.Indicator == d.Denominator {
				for k := int64(-MaxDenominatorGap); k <= MaxDenominatorGap; k++ {
					derived.add(cell{c.Area, d.ID, sql.NullInt64{Int64: c.Year.Int64 + k, Valid: true}})
				}
			}
		}
	}
	byID := make(map[int64]derivedDef, len(defs))
	for _, d := range defs {
		byID[d.ID] = d
	}
	// Cell by cell, but the components of each derived series are read
	// once for all its touched years: two reads a cell were a third of a
	// rollback's work.
	n := 0
	cs := sortedCells(derived)
	for i := 0; i < len(cs); {
		j := i
		var years []int
		for ; j < len(cs) && cs[j].Area == cs[i].Area && cs[j].Indicator == cs[i].Indicator; j++ {
			years = append(years, int(cs[j].Year.Int64))
		}
		k, err := rederiveSeries(ctx, ws, byID[cs[i].Indicator], cs[i].Area, years, version)
		if err != nil {
			return n, fmt.Errorf("derive: %w", err)
		}
		n += k
		i = j
	}

	all := Cells{}
	for c := range base {
		all.add(c)
	}
	for c := range derived {
		all.add(c)
	}
	type series struct{ area, ind int64 }
	seen := map[series]bool{}
	var order []series
	for _, c := range sortedCells(all) {
		if s := (series{c.Area, c.Indicator}); !seen[s] {
			seen[s] = true
			order = append(order, s)
		}
	}
	for _, s := range order {
		arg := map[string]any{"area": s.area, "indicator": s.ind, "version": version}
		for _, st := range []string{"keep shown", "mark shown", "keep shown undated", "mark shown undated", "series stats", "series latest", "series latest value", "drop empty series"} {
			if _, err := ws[st].ExecContext(ctx, arg); err != nil {
				return n, fmt.Errorf("%s: %w", st, err)
			}
		}
	}
	return n, nil
}

// sortedCells orders cells, so that a change writes in index order and
// the same change always writes the same rows.
func sortedCells(cs Cells) []cell {
	out := make([]cell, 0, len(cs))
	for c := range cs {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Area != b.Area {
			return a.Area < b.Area
		}
		if a.Indicator != b.Indicator {
			return a.Indicator < b.Indicator
		}
		return a.Year.Int64 < b.Year.Int64
	})
	return out
}

// rederiveSeries replaces the derived values of one area in some years
// (ascending): one per current numerator value of the year, over the
// denominator pickDenominator chooses. The values it replaces are kept
// as they were up to version (history.go).
func rederiveSeries(ctx context.Context, ws writeStmts, d derivedDef, area int64, years []int, version int64) (int, error) {
	first, last := years[0], years[len(years)-1]
	var nums, dens []component
	if err := ws["components"].SelectContext(ctx, &nums, map[string]any{"area": area, "indicator": d.Numerator, "from": first, "to": last}); err != nil {
		return 0, err
	}
	if len(nums) > 0 {
		if err := ws["components"].SelectContext(ctx, &dens, map[string]any{"area": area, "indicator": d.Denominator,
			"from": first - MaxDenominatorGap, "to": last + MaxDenominatorGap}); err != nil {
			return 0, err
		}
	}
	n := 0
	for _, year := range years {
		cellArg := map[string]any{"area": area, "indicator": d.ID, "year": year, "version": version}
		if _, err := ws["keep derived cell"].ExecContext(ctx, cellArg); err != nil {
			return n, err
		}
		if _, err := ws["delete derived cell"].ExecContext(ctx, cellArg); err != nil {
			return n, err
		}
		for _, num := range nums {
			if num.Year != year {
				continue
			}
			den, ok := pickDenominator(num.Year, dens)
			if !ok {
				continue
			}
			flags, note := derivedFlagsNote(num, den)
			if _, err := ws["insert derived"].ExecContext(ctx, map[string]any{"area": area, "indicator": d.ID, "year": num.Year,
				"value": derivedValue(num.Value, den.Value, d.Factor), "flags": flags, "note": note, "numerator": num.ID, "denominator": den.ID,
				"numerator_source": num.SourceID, "denominator_source": den.SourceID}); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// derivedFlagsNote gives a derived value the flags of its components
// and says when its population is of another year.
func derivedFlagsNote(num, den component) (string, string) {
	flags := map[string]bool{}
	for _, f := range strings.Fields(num.Flags + " " + den.Flags) {
		if inheritedFlags[f] {
			flags[f] = true
		}
	}
	fl := make([]string, 0, len(flags))
	for f := range flags {
		fl = append(fl, f)
	}
	sort.Strings(fl)
	note := ""
	if den.Year != num.Year {
		note = fmt.Sprintf("population of %d", den.Year)
	}
	return strings.Join(fl, " "), note
}

// DeriveAll recomputes everything kept at write time from the stored
// values, inside the caller's transaction: every derived value, the
// headline choice of every cell and every series' counts. Only a change
// of what a derived indicator is (its numerator, denominator or factor)
// needs it; its cost follows the size of the table.
func DeriveAll(ctx context.Context, tx *sqlx.Tx) (int, error) {
	// Any current value may change (derived values are written again,
	// the choice of any cell may move): each is kept as it was, and is
	// current in its new state from this change's version on.
	if err := CloseObservations(ctx, tx, "1 = 1"); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE observations SET valid_from = NULL WHERE retired_by IS NULL AND valid_from IS NOT NULL`); err != nil {
		return 0, err
	}
	n, err := deriveValues(ctx, tx)
	if err != nil {
		return n, err
	}
	for _, q := range rebuildSQL {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return n, err
		}
	}
	return n, nil
}

// rebuildSQL sets the headline choice and the series counts of every
// cell from scratch, in a few passes over the table.
var rebuildSQL = []string{
	`UPDATE observations SET hidden = 0 WHERE hidden = 1`,
	`UPDATE observations SET hidden = 1 - hidden WHERE id IN (` + shownChanges(`1 = 1`) + `)`,
	`DELETE FROM series_stats`,
	`INSERT INTO series_stats (area_id, indicator_id, n_values, n_stored, n_shown, first_year, last_year)
	SELECT o.area_id, o.indicator_id, COUNT(*) AS n_values,
	       SUM(CASE WHEN o.numerator_id IS NULL THEN 1 ELSE 0 END) AS n_stored,
	       SUM(1 - o.hidden) AS n_shown, MIN(o.year) AS first_year, MAX(o.year) AS last_year
	FROM observations o
	WHERE o.retired_by IS NULL
	GROUP BY o.area_id, o.indicator_id`,
	`UPDATE series_stats SET latest_id = (
	    SELECT o.id FROM observations o
	    WHERE o.area_id = series_stats.area_id AND o.indicator_id = series_stats.indicator_id
	      AND o.retired_by IS NULL AND o.hidden = 0
	      AND o.year IS NOT NULL AND o.value IS NOT NULL AND ' ' || o.flags || ' ' NOT LIKE '% projection %'
	    ORDER BY o.year DESC LIMIT 1)`,
	`UPDATE series_stats SET latest_value = (SELECT o.value FROM observations o WHERE o.id = series_stats.latest_id)`,
}

// deriveValues recomputes every derived observation (per capita values)
// from the current stored components, inside the caller's transaction.
// Derived rows are computed, not data, so they are replaced wholesale.
// It returns how many it wrote.
func deriveValues(ctx context.Context, tx *sqlx.Tx) (int, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM observations WHERE numerator_id IS NOT NULL`); err != nil {
		return 0, err
	}
	var defs []derivedDef
	if err := tx.SelectContext(ctx, &defs, writePathSQL["derived definitions"]); err != nil {
		return 0, err
	}
	load := func(ind int64) (map[int64][]component, error) {
		var cs []component
		err := tx.SelectContext(ctx, &cs, `SELECT o.id, o.source_id, o.area_id, o.year, o.value, o.flags, s.vintage, s.preferred
			FROM observations o JOIN sources s ON s.id = o.source_id
			WHERE o.indicator_id = ? AND o.retired_by IS NULL AND o.year IS NOT NULL AND o.value IS NOT NULL
			ORDER BY o.area_id, o.year, o.id`, ind)
		byArea := make(map[int64][]component)
		for _, c := range cs {
			byArea[c.AreaID] = append(byArea[c.AreaID], c)
		}
		return byArea, err
	}
	stmt, err := tx.PrepareNamedContext(ctx, writePathSQL["insert derived"])
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
		// Areas in id order: the derived values' ids follow it, the same
		// for the same data on every run and either engine (a map's
		// order is random).
		for _, area := range slices.Sorted(maps.Keys(nums)) {
			for _, num := range nums[area] {
				den, ok := pickDenominator(num.Year, dens[area])
				if !ok {
					continue
				}
				flags, note := derivedFlagsNote(num, den)
				if _, err := stmt.ExecContext(ctx, map[string]any{"area": area, "indicator": d.ID, "year": num.Year,
					"value": derivedValue(num.Value, den.Value, d.Factor), "flags": flags, "note": note, "numerator": num.ID, "denominator": den.ID,
					"numerator_source": num.SourceID, "denominator_source": den.SourceID}); err != nil {
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
