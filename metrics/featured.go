package metrics

// HeadlineCodes are the indicators a pair's featured comparison on the
// overview is drawn from, in order of preference: low-carbon first, then
// air quality. All are rates: a total is never featured (docs/RULES.md,
// rule 8).
var HeadlineCodes = []string{"ghg_per_capita", "final_energy_per_capita", "pm25_annual_mean", "pm10_annual_mean", "no2_annual_mean"}

// HeadlineIndicators are the catalogue's indicators of HeadlineCodes,
// in order, without any that is size-dependent.
func HeadlineIndicators(c *Catalogue) []*Indicator {
	var out []*Indicator
	for _, code := range HeadlineCodes {
		if ind, err := c.Indicator(code); err == nil && !ind.SizeDependent {
			out = append(out, ind)
		}
	}
	return out
}

// Featured is a pair's one comparison on the overview: the first
// headline indicator that both sides report, as a scorecard row.
// Found is false when the sides share none.
func Featured(c *Catalogue, d *Dataset, p *Pair) (ScoreRow, bool) {
	for _, ind := range HeadlineIndicators(c) {
		row := ScoreRow{Indicator: ind}
		for si, city := range p.Cities() {
			row.Sides[si] = append(row.Sides[si], LatestFor(c, d, city, ind))
		}
		if !row.Comparable() {
			continue
		}
		if a, okA := row.Single(0); okA {
			if b, okB := row.Single(1); okB {
				cv := CompareValues(ind, a, b)
				row.Gap, row.Warnings = cv.Gap, cv.Warnings
			}
		}
		return row, true
	}
	return ScoreRow{}, false
}

// Summary is what a chart's sentence says for a one-city-a-side pair:
// both values of the latest year both cities have, and how many times
// the one is the other (none for a total, rule 8).
type Summary struct {
	Year     int
	A, B     *Area
	PA, PB   Point
	Ratio    float64
	HasRatio bool
}

// Summary compares the two cities of a one-city-a-side pair at their
// common year. It reports false when a side has several cities or there
// is no common year.
func (cmp *Comparison) Summary(ind *Indicator) (Summary, bool) {
	y := cmp.CommonYear(ind)
	if y == 0 || len(cmp.Pair.Sides[0].Cities) != 1 || len(cmp.Pair.Sides[1].Cities) != 1 {
		return Summary{}, false
	}
	s := Summary{Year: y, A: &cmp.Pair.Sides[0].Cities[0], B: &cmp.Pair.Sides[1].Cities[0]}
	s.PA, _ = cmp.Data.At(s.A.ID, ind.ID, y)
	s.PB, _ = cmp.Data.At(s.B.ID, ind.ID, y)
	if s.PB.Value != 0 && !ind.SizeDependent {
		s.Ratio, s.HasRatio = s.PA.Value/s.PB.Value, true
	}
	return s, true
}

// BarGroup is one bar chart of a theme: the indicators of one unit that
// every city of the pair has in a common year, with each city's value.
type BarGroup struct {
	Unit       string
	Indicators []*Indicator
	Years      []int // the common year of each indicator
	// Values holds, for each city in pair order, its point per
	// indicator; Found[i][j] is false where city i lacks indicator j.
	Cities []*Area
	Values [][]Point
	Found  [][]bool
}

// BarGroups groups a theme's indicators by unit for the bar charts of
// the latest common year, in catalogue order.
func (cmp *Comparison) BarGroups(theme string) []BarGroup {
	var groups []*BarGroup
	byUnit := map[string]*BarGroup{}
	var cities []*Area
	for _, c := range cmp.Pair.Cities() {
		cities = append(cities, c)
	}
	for _, ind := range cmp.Catalogue.ThemeIndicators(theme) {
		if ind.ContextOfID.Valid {
			continue
		}
		y := cmp.CommonYear(ind)
		if y == 0 {
			continue
		}
		g := byUnit[ind.Unit]
		if g == nil {
			g = &BarGroup{Unit: ind.Unit, Cities: cities, Values: make([][]Point, len(cities)), Found: make([][]bool, len(cities))}
			byUnit[ind.Unit] = g
			groups = append(groups, g)
		}
		g.Indicators = append(g.Indicators, ind)
		g.Years = append(g.Years, y)
		for i, c := range cities {
			p, ok := cmp.Data.At(c.ID, ind.ID, y)
			g.Values[i] = append(g.Values[i], p)
			g.Found[i] = append(g.Found[i], ok)
		}
	}
	out := make([]BarGroup, len(groups))
	for i, g := range groups {
		out[i] = *g
	}
	return out
}
