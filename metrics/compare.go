package metrics

import (
	"context"
	"math"
	"sort"
)

// Comparison is what a pair page shows: for each indicator, where each
// side stands, the gap, and what makes the comparison less than exact.
type Comparison struct {
	Pair      *Pair
	Catalogue *Catalogue
	Data      *Dataset
	// Countries are the national areas of the pair's cities, drawn as
	// context lines and never passed off as city values.
	Countries []*Area
	// AreaIDs are every area whose values the comparison read.
	AreaIDs []int64
	Rows    []ScoreRow
	// Missing lists, by theme, the indicators neither side reports.
	Missing map[string][]*Indicator
}

// SideValue is one city's latest value in a scorecard row.
type SideValue struct {
	City *Area
	// Area is where the value was measured: the city itself, or a
	// linked area (metropolitan city, agglomeration, greater city) when
	// the city has no value of its own.
	Area  *Area
	Point Point
	Found bool
	// Undated are values without a year (the source printed none), of
	// the city or failing that of its linked areas: shown as "year not
	// given" with their caveats, never declared missing.
	Undated []Observation
	// Trend is the change over the comparable run that ends at Point.
	Trend Trend
}

// HasUndated reports whether the side has only values without a year.
func (v SideValue) HasUndated() bool { return !v.Found && len(v.Undated) > 0 }

// OtherBoundary reports whether the value describes another area than
// the city itself.
func (v SideValue) OtherBoundary() bool { return v.Found && v.Area.ID != v.City.ID }

// Warning is a reason a comparison is less than exact. The pages word
// it in the reader's language from its kind and the two values.
type Warning struct {
	Kind string // years, sources, boundary, method
	A, B SideValue
}

// Gap compares two single values.
type Gap struct {
	Ratio    float64
	HasRatio bool
	Diff     float64
	// Better is 0 (neither, the indicator is neutral, or it is a total),
	// 1 or 2.
	Better int
	// Total is set for a size-dependent indicator: the two values are
	// shown, but neither a ratio nor a verdict is a finding between
	// areas of different size (docs/RULES.md, rule 8).
	Total bool
}

// ScoreRow is one indicator of the scorecard.
type ScoreRow struct {
	Indicator *Indicator
	Sides     [2][]SideValue
	Gap       *Gap
	Warnings  []Warning
	// Instead is, for a total, the row of the rate to compare (per
	// capita), when the comparison has one.
	Instead *ScoreRow
}

// Single returns the side's value when the side has one city.
func (r ScoreRow) Single(side int) (SideValue, bool) {
	if len(r.Sides[side]) != 1 {
		return SideValue{}, false
	}
	return r.Sides[side][0], r.Sides[side][0].Found
}

// AnyFound reports whether any city of either side has a value.
func (r ScoreRow) AnyFound() bool {
	for _, s := range r.Sides {
		for _, v := range s {
			if v.Found || len(v.Undated) > 0 {
				return true
			}
		}
	}
	return false
}

// ComparePair builds the comparison of a pair across every indicator.
func (s *Store) ComparePair(ctx context.Context, c *Catalogue, slug string) (*Comparison, error) {
	p, err := c.Pair(slug)
	if err != nil {
		return nil, err
	}
	return s.compare(ctx, c, p)
}

// compare builds the comparison of any pair, from the programme or
// chosen by the reader; extra are values computed rather than stored
// (the programme median).
func (s *Store) compare(ctx context.Context, c *Catalogue, p *Pair, extra ...Observation) (*Comparison, error) {
	cmp := &Comparison{Pair: p, Catalogue: c, Missing: map[string][]*Indicator{}}
	var ids []int64
	seenCountry := map[string]bool{}
	for _, sd := range p.Sides {
		for _, city := range sd.Cities {
			ids = append(ids, city.ID)
			for _, ch := range c.Children(city.ID) {
				ids = append(ids, ch.ID)
			}
			if ctry := c.Country(city.CountryISO3); ctry != nil && !seenCountry[ctry.CountryISO3] {
				seenCountry[ctry.CountryISO3] = true
				cmp.Countries = append(cmp.Countries, ctry)
				ids = append(ids, ctry.ID)
			}
		}
	}
	obs, err := s.ObservationsForAreas(ctx, ids)
	if err != nil {
		return nil, err
	}
	cmp.AreaIDs = ids
	cmp.Data = NewDataset(append(obs, extra...))
	for _, ind := range c.Indicators {
		if ind.ContextOfID.Valid {
			continue // national series appear as context lines, not rows
		}
		row := cmp.scoreRow(ind)
		if !row.AnyFound() {
			cmp.Missing[ind.Theme] = append(cmp.Missing[ind.Theme], ind)
			continue
		}
		cmp.Rows = append(cmp.Rows, row)
	}
	byInd := make(map[int64]int, len(cmp.Rows))
	for i, r := range cmp.Rows {
		byInd[r.Indicator.ID] = i
	}
	for i := range cmp.Rows {
		if pc := c.PerCapita(cmp.Rows[i].Indicator); pc != nil {
			if j, ok := byInd[pc.ID]; ok {
				cmp.Rows[i].Instead = &cmp.Rows[j]
			}
		}
	}
	return cmp, nil
}

// LatestFor finds a city's latest value of an indicator: its own, or
// failing that the most recent of its linked areas.
func LatestFor(c *Catalogue, d *Dataset, city *Area, ind *Indicator) SideValue {
	v := SideValue{City: city, Area: city}
	if pt, ok := d.Latest(city.ID, ind.ID); ok {
		v.Point, v.Found = pt, true
		v.Trend = d.Trend(city.ID, ind, pt)
		return v
	}
	for _, ch := range c.Children(city.ID) {
		if pt, ok := d.Latest(ch.ID, ind.ID); ok && (!v.Found || pt.Year > v.Point.Year) {
			v.Area, v.Point, v.Found = ch, pt, true
		}
	}
	if v.Found {
		v.Trend = d.Trend(v.Area.ID, ind, v.Point)
		return v
	}
	v.Undated = undatedValues(d.Undated(city.ID, ind.ID))
	for _, ch := range c.Children(city.ID) {
		v.Undated = append(v.Undated, undatedValues(d.Undated(ch.ID, ind.ID))...)
	}
	return v
}

// undatedValues keeps the values without a year that have a number; a
// value printed as text is listed on the city page, not compared.
func undatedValues(obs []Observation) []Observation {
	var out []Observation
	for _, o := range obs {
		if o.Value.Valid && !o.Year.Valid {
			out = append(out, o)
		}
	}
	return out
}

func (cmp *Comparison) scoreRow(ind *Indicator) ScoreRow {
	row := ScoreRow{Indicator: ind}
	for si, sd := range cmp.Pair.Sides {
		for i := range sd.Cities {
			city := &sd.Cities[i]
			row.Sides[si] = append(row.Sides[si], LatestFor(cmp.Catalogue, cmp.Data, city, ind))
		}
	}
	a, okA := row.Single(0)
	b, okB := row.Single(1)
	if !okA || !okB {
		return row
	}
	cv := CompareValues(ind, a, b)
	row.Gap, row.Warnings = cv.Gap, append(cv.Warnings, KindWarnings(a, b)...)
	return row
}

// ValueComparison is the gap between two values and the warnings that
// come with comparing them.
type ValueComparison struct {
	Gap      *Gap
	Warnings []Warning
}

// CompareValues compares two found values of one indicator.
func CompareValues(ind *Indicator, a, b SideValue) ValueComparison {
	return ValueComparison{Gap: gap(ind, a.Point.Value, b.Point.Value), Warnings: compareWarnings(a, b)}
}

func gap(ind *Indicator, a, b float64) *Gap {
	g := &Gap{Diff: a - b}
	if ind.SizeDependent {
		g.Total = true
		return g
	}
	if b != 0 {
		g.Ratio, g.HasRatio = a/b, true
	}
	if a != b {
		switch ind.Direction {
		case LowerIsBetter:
			g.Better = 1
			if b < a {
				g.Better = 2
			}
		case HigherIsBetter:
			g.Better = 1
			if b > a {
				g.Better = 2
			}
		}
	}
	return g
}

// Warning kinds.
const (
	WarnYears    = "years"
	WarnSources  = "sources"
	WarnBoundary = "boundary"
	// WarnMethod: the two values were measured differently (another
	// network of stations, another reference), as their notes say.
	WarnMethod = "method"
)

func compareWarnings(a, b SideValue) []Warning {
	var ws []Warning
	if a.Point.Year != b.Point.Year {
		ws = append(ws, Warning{Kind: WarnYears, A: a, B: b})
	}
	if a.Point.Obs.SourceCode.String != b.Point.Obs.SourceCode.String {
		ws = append(ws, Warning{Kind: WarnSources, A: a, B: b})
	}
	if a.OtherBoundary() || b.OtherBoundary() || a.Area.Kind != b.Area.Kind {
		ws = append(ws, Warning{Kind: WarnBoundary, A: a, B: b})
	}
	ba, okA := MeasurementBasis(a.Point.Obs.Note)
	bb, okB := MeasurementBasis(b.Point.Obs.Note)
	if okA && okB && ba.Reference != bb.Reference {
		ws = append(ws, Warning{Kind: WarnMethod, A: a, B: b})
	}
	return ws
}

// Theme rows of the scorecard.
func (cmp *Comparison) ThemeRows(theme string) []ScoreRow {
	var out []ScoreRow
	for _, r := range cmp.Rows {
		if r.Indicator.Theme == theme {
			out = append(out, r)
		}
	}
	return out
}

// Comparable reports whether both sides have a value.
func (r ScoreRow) Comparable() bool {
	return sideFound(r.Sides[0]) && sideFound(r.Sides[1])
}

func sideFound(vs []SideValue) bool {
	for _, v := range vs {
		if v.Found {
			return true
		}
	}
	return false
}

// CommonYear is the latest year in which every city of the pair has a
// measured value of the indicator on its own area, or 0 if there is none.
func (cmp *Comparison) CommonYear(ind *Indicator) int {
	var cities []*Area
	for _, c := range cmp.Pair.Cities() {
		cities = append(cities, c)
	}
	if len(cities) == 0 {
		return 0
	}
	count := map[int]int{}
	for _, c := range cities {
		for _, pt := range cmp.Data.Series(c.ID, ind.ID) {
			if !pt.Projection() {
				count[pt.Year]++
			}
		}
	}
	best := 0
	for y, n := range count {
		if n == len(cities) && y > best {
			best = y
		}
	}
	return best
}

// DefaultTheme is the first theme, energy and climate first, in which
// both sides have a value of some indicator.
func (cmp *Comparison) DefaultTheme() string {
	for _, t := range Themes {
		for _, r := range cmp.ThemeRows(t) {
			if r.Comparable() {
				return t
			}
		}
	}
	return Themes[0]
}

// Normalised is one indicator of the overview: each city's value at the
// common year as a share of the larger one (0–100).
type Normalised struct {
	Indicator *Indicator
	Year      int
	Values    []float64 // one per city, in pair order
}

// Overview lists, across all themes, the indicators every city of the
// pair has in a common year, normalised to the larger value.
func (cmp *Comparison) Overview() []Normalised {
	var out []Normalised
	for _, r := range cmp.Rows {
		if r.Indicator.Theme == "context" || r.Indicator.SizeDependent {
			continue // a total as a share of the larger would be a size effect
		}
		y := cmp.CommonYear(r.Indicator)
		if y == 0 {
			continue
		}
		var vals []float64
		max := 0.0
		for _, c := range cmp.Pair.Cities() {
			pt, _ := cmp.Data.At(c.ID, r.Indicator.ID, y)
			vals = append(vals, pt.Value)
			max = math.Max(max, math.Abs(pt.Value))
		}
		if max == 0 {
			continue
		}
		for i := range vals {
			vals[i] = math.Round(vals[i]/max*1000) / 10
		}
		out = append(out, Normalised{Indicator: r.Indicator, Year: y, Values: vals})
	}
	sort.SliceStable(out, func(i, j int) bool { return themeIndex(out[i].Indicator.Theme) < themeIndex(out[j].Indicator.Theme) })
	return out
}

func themeIndex(t string) int {
	for i, x := range Themes {
		if x == t {
			return i
		}
	}
	return len(Themes)
}

// Coverage counts, for one city, the indicators it reports (on its own
// area or a linked one) out of all the city indicators of the catalogue.
type Coverage struct {
	City     *Area
	Reported int
	Total    int
	// EmptyThemes are the themes in which the city reports nothing.
	EmptyThemes []string
}

// Coverage says how much each city of the pair reports, so that a
// reader sees at once where the comparison is thin.
func (cmp *Comparison) Coverage() []Coverage {
	var out []Coverage
	for si, sd := range cmp.Pair.Sides {
		for ci := range sd.Cities {
			cv := Coverage{City: &cmp.Pair.Sides[si].Cities[ci]}
			perTheme := map[string]int{}
			for _, ind := range cmp.Catalogue.Indicators {
				if ind.ContextOfID.Valid || ind.Theme == "context" {
					continue
				}
				cv.Total++
				// A value without a year is reported all the same.
				if sv := LatestFor(cmp.Catalogue, cmp.Data, cv.City, ind); sv.Found || len(sv.Undated) > 0 {
					cv.Reported++
					perTheme[ind.Theme]++
				}
			}
			for _, t := range Themes {
				if t != "context" && perTheme[t] == 0 {
					cv.EmptyThemes = append(cv.EmptyThemes, t)
				}
			}
			out = append(out, cv)
		}
	}
	return out
}
