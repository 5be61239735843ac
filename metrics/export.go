package metrics

import (
	"context"
	"database/sql"
	"fmt"
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

func yearArg(y int) any {
	if y == 0 {
		return nil
	}
	return y
}

func shownArg(b bool) any {
	if b {
		return 1
	}
	return nil
}

func (sel Selection) args() []any {
	return []any{
		sql.Named("areas", listArg(sel.Areas)),
		sql.Named("indicators", listArg(sel.Indicators)),
		sql.Named("sources", listArg(sel.Sources)),
		sql.Named("from", yearArg(sel.From)),
		sql.Named("to", yearArg(sel.To)),
		sql.Named("shown", shownArg(sel.Shown)),
	}
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
	lim := int64(-1)
	if limit > 0 {
		lim = int64(limit)
	}
	args := append(sel.args(), sql.Named("after", after), sql.Named("limit", lim))
	rows, err := s.q.ExportObservations.QueryContext(ctx, args...)
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
	if err := s.q.CountSelection.QueryRowContext(ctx, sel.args()...).Scan(&n); err != nil {
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

// Stamp returns the current data version and last change time.
func (s *Store) Stamp(ctx context.Context) (Stamp, error) {
	var st Stamp
	var err error
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
