package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Selection is what a download or an API call asks for. A nil list
// means any; an empty, non-nil list matches nothing. From and To are
// years (0: open); a bounded year range leaves out values without a year.
type Selection struct {
	Areas      []int64
	Indicators []int64
	Sources    []int64
	From, To   int
	// Shown keeps only the values the pages show: one per area,
	// indicator and year by the headline rule.
	Shown bool
}

func listArg(ids []int64) any {
	if ids == nil {
		return nil
	}
	return idsJSON(ids)
}

// selectColumns are what a download or an API page carries of each
// value. A derived value (per capita) has no source of its own: its
// components' sources come along (copied when it was derived), so that a
// source whose terms forbid redistribution withholds it too.
const selectColumns = `SELECT o.id, o.area_id, o.indicator_id, o.year, o.value, o.value_as_given, o.unit_as_given,
       o.source_id, o.flags, o.note, o.numerator_id, o.denominator_id, o.numerator_source_id, o.denominator_source_id
FROM observations o`

// where builds the conditions of a selection from the filters it has,
// and only those: a condition written as "(:x IS NULL OR …)" for an
// absent filter would hide the indexes from the planner. Every piece is
// a constant; the values travel as named parameters. The source filter
// is left to the caller (sourceColumns).
func (sel Selection) where(d Dialect) (string, []any) {
	conds, args := sel.placeConds(d)
	conds = append([]string{"o.retired_by IS NULL"}, conds...)
	yc, ya := sel.yearConds()
	conds, args = append(conds, yc...), append(args, ya...)
	if sel.Shown {
		if sel.Areas == nil && sel.Indicators == nil {
			// Most values are shown: walking the table in id order and
			// skipping the others beats sorting the whole shown index.
			conds = append(conds, "o.hidden + 0 = 0")
		} else {
			conds = append(conds, "o.hidden = 0")
		}
	}
	if len(sel.Sources) == 1 {
		args = append(args, sql.Named("source", sel.Sources[0]))
	} else if sel.Sources != nil {
		args = append(args, sql.Named("sources", listArg(sel.Sources)))
	}
	return " WHERE " + strings.Join(conds, "\n  AND "), args
}

// placeConds are the area and indicator filters of a selection.
func (sel Selection) placeConds(d Dialect) ([]string, []any) {
	var conds []string
	var args []any
	if sel.Areas != nil {
		conds = append(conds, "o.area_id IN ("+d.ids(":areas")+")")
		args = append(args, sql.Named("areas", listArg(sel.Areas)))
	}
	if sel.Indicators != nil {
		conds = append(conds, "o.indicator_id IN ("+d.ids(":indicators")+")")
		args = append(args, sql.Named("indicators", listArg(sel.Indicators)))
	}
	return conds, args
}

// yearConds are the year filters of a selection.
func (sel Selection) yearConds() ([]string, []any) {
	var conds []string
	var args []any
	if sel.From != 0 {
		conds = append(conds, "o.year >= :from")
		args = append(args, sql.Named("from", sel.From))
	}
	if sel.To != 0 {
		conds = append(conds, "o.year <= :to")
		args = append(args, sql.Named("to", sel.To))
	}
	return conds, args
}

// sourceColumns are the three ways a value belongs to a source: its own,
// or either component's for a derived value. Each has an index whose
// entries for one source run in id order.
var sourceColumns = []string{"o.source_id", "o.numerator_source_id", "o.denominator_source_id"}

// inSources is the source condition: one source by equality, so that
// its index is walked in id order and a page stops early; several as a
// list.
func (sel Selection) inSources(d Dialect) string {
	if len(sel.Sources) == 1 {
		return " = :source"
	}
	return " IN (" + d.ids(":sources") + ")"
}

// SelectionSQL is the query EachObservation runs for a selection (for
// the plan tests). With a source filter, each way of belonging to the
// source is searched through its own index, in id order, at most a page
// of each, and the pages are merged: a rare source is found without
// reading the table, a common one stops after a page.
func SelectionSQL(d Dialect, sel Selection, limit bool) (string, []any) {
	w, args := sel.where(d)
	page := "\n  AND o.id > :after\nORDER BY o.id"
	if limit {
		page += "\nLIMIT :limit"
	}
	if sel.Sources == nil {
		return selectColumns + w + page, args
	}
	var branches []string
	for i, col := range sourceColumns {
		if sel.Areas != nil || sel.Indicators != nil {
			// An area's or an indicator's values are bounded by the years
			// and areas there are; a source's may be the whole table. The
			// unary plus keeps the planner on the area or indicator index.
			col = "+" + col
		}
		b := fmt.Sprintf("SELECT b%d.id FROM (SELECT o.id FROM observations o%s\n  AND %s IS NOT NULL AND %s%s%s) AS b%d",
			i, w, col, col, sel.inSources(d), page, i)
		branches = append(branches, b)
	}
	q := selectColumns + "\nWHERE o.id IN (\n" + strings.Join(branches, "\nUNION ALL\n") + ")" + page
	return q, args
}

// pinnedSelectionSQL is SelectionSQL at data version v (history.go):
// the area or indicator filter reads both halves through their indexes;
// the other filters apply to what they give. A pinned download is rare
// and bounded by its areas or indicators where it names them.
func pinnedSelectionSQL(d Dialect, sel Selection, v int64, limit bool) (string, []any) {
	inner, args := sel.placeConds(d)
	args = append(args, sql.Named("v", v))
	if inner == nil {
		inner = []string{"1 = 1"}
	}
	yc, ya := sel.yearConds()
	conds, args := append([]string{"o.id > :after"}, yc...), append(args, ya...)
	if sel.Shown {
		conds = append(conds, "o.hidden = 0")
	}
	if sel.Sources != nil {
		var ors []string
		for _, col := range sourceColumns {
			ors = append(ors, col+sel.inSources(d))
		}
		conds = append(conds, "("+strings.Join(ors, " OR ")+")")
		if len(sel.Sources) == 1 {
			args = append(args, sql.Named("source", sel.Sources[0]))
		} else {
			args = append(args, sql.Named("sources", listArg(sel.Sources)))
		}
	}
	q := `SELECT o.id, o.area_id, o.indicator_id, o.year, o.value, o.value_as_given, o.unit_as_given,
       o.source_id, o.flags, o.note, o.numerator_id, o.denominator_id, o.numerator_source_id, o.denominator_source_id
FROM ` + pinnedFrom(strings.Join(inner, " AND ")) + ` AS o
WHERE ` + strings.Join(conds, "\n  AND ") + `
ORDER BY o.id`
	if limit {
		q += "\nLIMIT :limit"
	}
	return q, args
}

// ExportRow is one observation as downloads and the API carry it. The
// catalogue gives the names behind the ids.
type ExportRow struct {
	ID           int64
	AreaID       int64
	IndicatorID  int64
	Year         sql.NullInt64
	Value        sql.NullFloat64
	ValueAsGiven string
	UnitAsGiven  string
	SourceID     sql.NullInt64
	Flags        string
	Note         string
	// A derived value names its components and their sources.
	NumeratorID         sql.NullInt64
	DenominatorID       sql.NullInt64
	NumeratorSourceID   sql.NullInt64
	DenominatorSourceID sql.NullInt64
}

// Derived reports whether the value was computed from two others.
func (r *ExportRow) Derived() bool { return r.NumeratorID.Valid }

// EachObservation streams the selected observations in id order,
// starting after the id after and stopping after limit rows (0: all),
// calling fn for each. The row is reused between calls: fn must copy
// what it keeps. Memory stays constant whatever the selection's size.
func (s *Store) EachObservation(ctx context.Context, sel Selection, after int64, limit int, fn func(*ExportRow) error) error {
	q, args := SelectionSQL(s.db.Dialect, sel, limit > 0)
	if v := PinnedVersion(ctx); v != 0 {
		q, args = pinnedSelectionSQL(s.db.Dialect, sel, v, limit > 0)
	}
	args = append(args, sql.Named("after", after))
	if limit > 0 {
		args = append(args, sql.Named("limit", limit))
	}
	rows, err := s.db.R.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("export observations: %w", err)
	}
	defer rows.Close()
	var r ExportRow
	for rows.Next() {
		if err := rows.Scan(&r.ID, &r.AreaID, &r.IndicatorID, &r.Year, &r.Value, &r.ValueAsGiven, &r.UnitAsGiven,
			&r.SourceID, &r.Flags, &r.Note, &r.NumeratorID, &r.DenominatorID,
			&r.NumeratorSourceID, &r.DenominatorSourceID); err != nil {
			return fmt.Errorf("export observations: %w", err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export observations: %w", err)
	}
	return nil
}

// CountSelection counts the observations a selection holds.
func (s *Store) CountSelection(ctx context.Context, sel Selection) (int, error) {
	var n int
	if v := PinnedVersion(ctx); v != 0 {
		q, args := pinnedSelectionSQL(s.db.Dialect, sel, v, false)
		q = "SELECT COUNT(*) FROM (" + q + ") AS counted"
		args = append(args, sql.Named("after", 0))
		if err := s.db.R.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("count selection at version %d: %w", v, err)
		}
		return n, nil
	}
	if sel.Sources == nil && sel.From == 0 && sel.To == 0 {
		// Areas, indicators and "shown" alone are counted from the
		// series counts kept at write time.
		col := "s.n_values"
		if sel.Shown {
			col = "s.n_shown"
		}
		q := "SELECT COALESCE(SUM(" + col + "), 0) FROM series_stats s WHERE 1 = 1"
		var args []any
		if sel.Areas != nil {
			q += " AND s.area_id IN (" + s.db.Dialect.ids(":areas") + ")"
			args = append(args, sql.Named("areas", listArg(sel.Areas)))
		}
		if sel.Indicators != nil {
			q += " AND s.indicator_id IN (" + s.db.Dialect.ids(":indicators") + ")"
			args = append(args, sql.Named("indicators", listArg(sel.Indicators)))
		}
		if err := s.db.R.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("count selection: %w", err)
		}
		return n, nil
	}
	w, args := sel.where(s.db.Dialect)
	if sel.Sources != nil {
		var ors []string
		for _, col := range sourceColumns {
			ors = append(ors, col+sel.inSources(s.db.Dialect))
		}
		w += "\n  AND (" + strings.Join(ors, " OR ") + ")"
	}
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM observations o"+w, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count selection: %w", err)
	}
	return n, nil
}

// Stamp names the state of the data a response shows: the data version
// (bumped by every change) and the time of the last published change.
type Stamp struct {
	Version int64
	Changed time.Time
}

// VersionMade is when data version v was made (published, rolled back
// or changed in the catalogue), from data_versions; the zero time for a
// version made before versions were described.
func (s *Store) VersionMade(ctx context.Context, v int64) (time.Time, error) {
	var at string
	if err := s.q.VersionMade.GetContext(ctx, &at, v); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return time.Time{}, nil
		}
		return time.Time{}, fmt.Errorf("data version %d: %w", v, err)
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return time.Time{}, nil
	}
	return t.UTC(), nil
}

// Stamp returns the current data version and last change time.
func (s *Store) Stamp(ctx context.Context) (Stamp, error) {
	var st Stamp
	var err error
	if v := PinnedVersion(ctx); v != 0 {
		// The version a pinned read shows, and when it was made.
		st.Version = v
		st.Changed, err = s.VersionMade(ctx, v)
		return st, err
	}
	if st.Version, err = s.DataVersion(ctx); err != nil {
		return st, fmt.Errorf("data version: %w", err)
	}
	var changed string
	if err := s.q.LastChange.GetContext(ctx, &changed); err != nil {
		return st, fmt.Errorf("last change: %w", err)
	}
	if changed != "" {
		if t, err := time.Parse(time.RFC3339, changed); err == nil {
			st.Changed = t.UTC()
		}
	}
	return st, nil
}

// SourceByCode finds a source by code.
func (c *Catalogue) SourceByCode(code string) (*Source, error) {
	for _, s := range c.Sources {
		if s.Code == code {
			return s, nil
		}
	}
	return nil, fmt.Errorf("source %q: %w", code, ErrNotFound)
}

// WithheldBy returns the source whose terms keep the row's value out of
// downloads: its own source, or for a derived value either component's
// (a ratio and one component give away the other). Nil: not withheld.
func (c *Catalogue) WithheldBy(r *ExportRow) *Source {
	for _, id := range []sql.NullInt64{r.SourceID, r.NumeratorSourceID, r.DenominatorSourceID} {
		if !id.Valid {
			continue
		}
		if src := c.srcByID[id.Int64]; src != nil && src.Withheld() {
			return src
		}
	}
	return nil
}

// PairAreas are the areas a pair page draws: each side's cities, the
// areas linked to them (metropolitan area, agglomeration) and their
// countries, whose national figures are context lines.
func (c *Catalogue) PairAreas(p *Pair) []*Area {
	var out []*Area
	seen := map[int64]bool{}
	add := func(a *Area) {
		if a != nil && !seen[a.ID] {
			seen[a.ID] = true
			out = append(out, a)
		}
	}
	for _, sd := range p.Sides {
		for _, city := range sd.Cities {
			add(c.areaByID[city.ID])
			for _, ch := range c.children[city.ID] {
				add(ch)
			}
		}
	}
	for _, sd := range p.Sides {
		for _, city := range sd.Cities {
			add(c.countryByISO[city.CountryISO3])
		}
	}
	return out
}
