package metrics

import (
	"sort"
	"strings"
)

// Trend is how a series moved over its latest comparable run: the
// change from the earliest year of the run to the latest value, and the
// average change per year (docs/RULES.md, rule 10).
type Trend struct {
	FromYear, ToYear int
	From, To         float64
	Change           float64 // To − From
	PerYear          float64 // Change / (ToYear − FromYear)
	// Improving is +1 when the change goes the indicator's better way,
	// −1 when it goes the worse way, 0 when the indicator is neutral or
	// nothing changed.
	Improving int
}

// Valid reports whether there was a run of two or more years.
func (t Trend) Valid() bool { return t.ToYear > t.FromYear }

// notComparable are the flags that take a value out of a trend: it is a
// projection, or it measures something else than its neighbours.
var notComparable = []string{"projection", "low_coverage", "converted", "definition_differs"}

// Trend measures the change up to the point last of a series, over the
// run of values of one source and definition that ends there: going back
// from last, it stops at a change of source and after a break in series,
// and it passes over values that are not comparable (a projection, low
// coverage, a conversion from another measure, another definition).
func (d *Dataset) Trend(area int64, ind *Indicator, last Point) Trend {
	pts := d.Series(area, ind.ID)
	first := last
	for i := len(pts) - 1; i >= 0; i-- {
		p := pts[i]
		if p.Year >= last.Year {
			continue
		}
		if p.Obs.SourceCode.String != last.Obs.SourceCode.String {
			break
		}
		if first.Obs.HasFlag("break_in_series") {
			break
		}
		if hasAny(p.Obs, notComparable) {
			continue
		}
		first = p
	}
	if first.Year >= last.Year || hasAny(last.Obs, notComparable) {
		return Trend{}
	}
	t := Trend{FromYear: first.Year, ToYear: last.Year, From: first.Value, To: last.Value, Change: last.Value - first.Value}
	t.PerYear = t.Change / float64(t.ToYear-t.FromYear)
	switch {
	case t.Change == 0 || ind.Direction == Neutral:
	case (t.Change < 0) == (ind.Direction == LowerIsBetter):
		t.Improving = 1
	default:
		t.Improving = -1
	}
	return t
}

func hasAny(o Observation, flags []string) bool {
	for _, f := range flags {
		if o.HasFlag(f) {
			return true
		}
	}
	return false
}

// Basis is how a value was measured, as its note records it: the
// reference (network or agency), the stations and the share of the year
// covered. Empty fields were not given.
type Basis struct {
	Reference string
	Stations  string
	Coverage  string
}

// MeasurementBasis reads a value's note of the form the WHO air quality
// database gives ("Reference: …; stations: …; temporal coverage: …").
// It reports false when the note has no reference.
func MeasurementBasis(note string) (Basis, bool) {
	var b Basis
	for _, part := range strings.Split(note, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if strings.EqualFold(v, "NA") || strings.EqualFold(v, "n/a") {
			v = ""
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "reference":
			b.Reference = strings.TrimSuffix(v, ".")
		case "stations":
			b.Stations = v
		case "temporal coverage":
			b.Coverage = v
		}
	}
	return b, b.Reference != ""
}

// Alternate is a release of a database whose values the headline rule
// passes over in several years: drawn as its own series, so that two
// vintages that disagree are never silently merged (docs/RULES.md, rule 6).
type Alternate struct {
	SourceCode  string
	SourceTitle string
	Points      []Point
}

// Alternates lists, source by source, the values of an area's series
// that are not shown because another source's value of the same year
// is, when that happens in two or more years.
func (d *Dataset) Alternates(area, indicator int64) []Alternate {
	bySource := map[string]*Alternate{}
	var order []string
	for _, p := range d.Series(area, indicator) {
		for _, o := range p.Others {
			code := o.SourceCode.String
			if code == p.Obs.SourceCode.String {
				continue
			}
			a := bySource[code]
			if a == nil {
				a = &Alternate{SourceCode: code, SourceTitle: o.SourceTitle.String}
				bySource[code] = a
				order = append(order, code)
			}
			if n := len(a.Points); n > 0 && a.Points[n-1].Year == p.Year {
				continue // one value per year: the first of that source
			}
			a.Points = append(a.Points, Point{Year: p.Year, Value: o.Value.Float64, Obs: o, Count: 1, Rule: RuleOnly})
		}
	}
	var out []Alternate
	for _, code := range order {
		if a := bySource[code]; len(a.Points) >= 2 {
			out = append(out, *a)
		}
	}
	return out
}

// Rank is a city's place among the programme's cities on one indicator.
type Rank struct {
	City  *Area
	Rank  int // 1 is the best by the indicator's direction
	Count int // cities with a value
	Year  int // the year of the city's value
}

// Ranks places every programme city (a member of a pair) with a value of
// its own by its latest value, best first by the indicator's direction.
// A neutral indicator or a total has no ranking: nil.
func Ranks(c *Catalogue, d *Dataset, ind *Indicator) map[int64]Rank {
	if ind.Direction == Neutral || ind.SizeDependent {
		return nil
	}
	type entry struct {
		city *Area
		pt   Point
	}
	var es []entry
	seen := map[int64]bool{}
	for _, p := range c.Pairs {
		for _, city := range p.Cities() {
			if seen[city.ID] {
				continue
			}
			seen[city.ID] = true
			if pt, ok := d.Latest(city.ID, ind.ID); ok {
				es = append(es, entry{city, pt})
			}
		}
	}
	sort.SliceStable(es, func(i, j int) bool {
		if ind.Direction == HigherIsBetter {
			return es[i].pt.Value > es[j].pt.Value
		}
		return es[i].pt.Value < es[j].pt.Value
	})
	out := make(map[int64]Rank, len(es))
	for i, e := range es {
		r := i + 1
		if i > 0 && e.pt.Value == es[i-1].pt.Value {
			r = out[es[i-1].city.ID].Rank // ties share a place
		}
		out[e.city.ID] = Rank{City: e.city, Rank: r, Count: len(es), Year: e.pt.Year}
	}
	return out
}
