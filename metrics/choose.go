package metrics

import "sort"

// The headline rule (docs/RULES.md, rule 2): where one area has several
// values for one indicator and year, the page shows one of them: a value
// from a source staff marked preferred; else the one from the newest
// vintage; else the one recorded first. The others stay stored and are
// counted.
//
// The rule has a second, SQL form, applied when values are written: it
// marks each value the rule passes over as hidden (shownChanges in
// derive.go), and the view shown_observations, which downloads "as
// shown" read, lists the values left. Change both together;
// TestHeadlineRuleGoAndSQLAgree checks that they choose the same value
// for every seeded area, indicator and year.
const (
	RuleOnly      = "only"
	RulePreferred = "preferred"
	RuleNewest    = "newest_vintage"
	RuleFirst     = "first_recorded"
)

// Point is the value chosen for one area, indicator and year.
type Point struct {
	Year  int
	Value float64
	Obs   Observation
	// Count is how many values exist for this area, indicator and year.
	Count int
	// Rule says why Obs was chosen when Count > 1.
	Rule string
	// Others are the values not shown, in the order of the rule.
	Others []Observation
}

// Projection reports whether the point is a projection, not a measurement.
func (p Point) Projection() bool { return p.Obs.HasFlag("projection") }

// better orders two observations of the same area, indicator and year
// by the headline rule.
func better(a, b Observation) bool {
	if a.Hidden != b.Hidden {
		// At a pinned version: the choice made then.
		return b.Hidden
	}
	if a.SourcePref.Bool != b.SourcePref.Bool {
		return a.SourcePref.Bool
	}
	if a.SourceVintage.String != b.SourceVintage.String {
		return a.SourceVintage.String > b.SourceVintage.String
	}
	return a.ID < b.ID
}

// choose applies the headline rule to the observations of one year.
func choose(year int, obs []Observation) Point {
	sort.SliceStable(obs, func(i, j int) bool { return better(obs[i], obs[j]) })
	p := Point{Year: year, Value: obs[0].Value.Float64, Obs: obs[0], Count: len(obs), Rule: RuleOnly, Others: obs[1:]}
	if len(obs) > 1 {
		switch {
		case obs[0].SourcePref.Bool && !obs[1].SourcePref.Bool:
			p.Rule = RulePreferred
		case obs[0].SourceVintage.String != obs[1].SourceVintage.String:
			p.Rule = RuleNewest
		default:
			p.Rule = RuleFirst
		}
	}
	return p
}

type seriesKey struct{ area, indicator int64 }

// Dataset indexes observations by area and indicator and answers the
// questions the pages ask: the series over time and the latest value,
// each with one value per year chosen by the headline rule.
type Dataset struct {
	series map[seriesKey][]Point
	// undated holds values with no year (the source did not print one)
	// or no number (the source printed text): shown in tables, never
	// drawn.
	undated map[seriesKey][]Observation
}

// NewDataset builds a Dataset from current observations.
func NewDataset(obs []Observation) *Dataset {
	byYear := make(map[seriesKey]map[int][]Observation)
	d := &Dataset{series: make(map[seriesKey][]Point), undated: make(map[seriesKey][]Observation)}
	for _, o := range obs {
		k := seriesKey{o.AreaID, o.IndicatorID}
		if !o.Year.Valid || !o.Value.Valid {
			d.undated[k] = append(d.undated[k], o)
			continue
		}
		m := byYear[k]
		if m == nil {
			m = make(map[int][]Observation)
			byYear[k] = m
		}
		y := int(o.Year.Int64)
		m[y] = append(m[y], o)
	}
	for k, m := range byYear {
		pts := make([]Point, 0, len(m))
		for y, os := range m {
			pts = append(pts, choose(y, os))
		}
		sort.Slice(pts, func(i, j int) bool { return pts[i].Year < pts[j].Year })
		d.series[k] = pts
	}
	return d
}

// Series is the chosen value for each year the area has, oldest first.
func (d *Dataset) Series(area, indicator int64) []Point {
	return d.series[seriesKey{area, indicator}]
}

// Undated lists values without a year or without a number.
func (d *Dataset) Undated(area, indicator int64) []Observation {
	return d.undated[seriesKey{area, indicator}]
}

// Latest is the most recent measured value (projections are not
// measurements and are passed over).
func (d *Dataset) Latest(area, indicator int64) (Point, bool) {
	pts := d.Series(area, indicator)
	for i := len(pts) - 1; i >= 0; i-- {
		if !pts[i].Projection() {
			return pts[i], true
		}
	}
	return Point{}, false
}

// At is the chosen value for one year.
func (d *Dataset) At(area, indicator int64, year int) (Point, bool) {
	pts := d.Series(area, indicator)
	i := sort.Search(len(pts), func(i int) bool { return pts[i].Year >= year })
	if i < len(pts) && pts[i].Year == year {
		return pts[i], true
	}
	return Point{}, false
}
