package dashboard

import (
	"strings"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// valueView is one value as a table cell shows it: the number with its
// year, source and flags, or the plain statement that it is missing.
type valueView struct {
	City       string
	Area       string // set when the value is for another boundary
	Missing    bool
	Value      string
	Unit       string
	Year       int
	Source     string
	SourceCode string
	Flags      []flagView
	Rule       string // "3 values — showing …"
	Note       string // a derived value's "population of 2014"
	Derived    bool
	Projection bool
	// Trend is the change over the latest comparable run, in words and
	// numbers; Improving is +1, −1 or 0 (docs/RULES.md, rule 10).
	Trend     string
	Improving int
	// Basis is how the value was measured, from its note.
	Basis    string
	Modelled bool // a modelled estimate, labelled as such
	// Undated are the side's values without a year, shown as such.
	Undated []undatedValue
}

// undatedArgs carries an undated value and its unit into the
// "undated-value" template.
type undatedArgs struct {
	V    undatedValue
	Unit string
}

// undatedValue is a value whose source printed no year.
type undatedValue struct {
	Value      string
	Source     string
	SourceCode string
	Flags      []flagView
	Note       string
}

type flagView struct {
	Code, Name, Description string
}

func sourceName(o metrics.Observation) string {
	return o.SourceTitle.String
}

func flagViews(loc Locale, cat *metrics.Catalogue, o metrics.Observation) []flagView {
	var out []flagView
	for _, f := range o.FlagList() {
		fv := flagView{Code: f, Name: f}
		if fl := cat.Flag(f); fl != nil {
			fv.Name, fv.Description = loc.FlagName(fl), loc.FlagDescription(fl)
		}
		out = append(out, fv)
	}
	return out
}

// ruleText explains which of several values of one year a page shows,
// and why (docs/RULES.md, rule 2).
func ruleText(loc Locale, p metrics.Point) string {
	if p.Count < 2 {
		return ""
	}
	return loc.T("rule.showing", "Count", p.Count, "Source", sourceName(p.Obs), "Why", loc.T("rule."+p.Rule))
}

// derivedNote words a derived value's note ("population of 2014").
func derivedNote(loc Locale, o metrics.Observation) string {
	if year, ok := strings.CutPrefix(o.Note, "population of "); ok {
		return loc.T("derived.population_of", "Year", year)
	}
	return o.Note
}

// pointView describes a chosen point of an indicator for a city.
func pointView(loc Locale, cat *metrics.Catalogue, ind *metrics.Indicator, sv metrics.SideValue) valueView {
	v := valueView{City: loc.AreaName(sv.City)}
	if !sv.Found {
		v.Missing = len(sv.Undated) == 0
		for _, o := range sv.Undated {
			v.Undated = append(v.Undated, undatedValue{Value: loc.Num(o.Value.Float64), Source: sourceName(o),
				SourceCode: o.SourceCode.String, Flags: flagViews(loc, cat, o), Note: o.Note})
		}
		v.Unit = loc.Unit(ind.Unit)
		return v
	}
	p := sv.Point
	v.Value = loc.Num(p.Value)
	v.Unit = loc.Unit(ind.Unit)
	v.Year = p.Year
	v.Source = sourceName(p.Obs)
	v.SourceCode = p.Obs.SourceCode.String
	v.Flags = flagViews(loc, cat, p.Obs)
	v.Rule = ruleText(loc, p)
	v.Derived = p.Obs.NumeratorID.Valid
	v.Projection = p.Projection()
	v.Modelled = p.Obs.Modelled()
	if v.Derived {
		v.Note = derivedNote(loc, p.Obs)
		v.Source = loc.T("value.computed_from", "Source", sourceName(p.Obs))
	}
	if sv.OtherBoundary() {
		v.Area = loc.AreaName(sv.Area)
	}
	if sv.Area.IsMedian() {
		// The cities behind a median change from year to year: it has
		// no trend of its own.
		v.Source = loc.T("compare.median_of", "Count", p.Obs.MedianOf, "Year", p.Year)
		return v
	}
	if t := sv.Trend; t.Valid() {
		v.Trend, v.Improving = trendText(loc, ind, t), t.Improving
	}
	if b, ok := metrics.MeasurementBasis(p.Obs.Note); ok {
		v.Basis = basisText(loc, b)
	}
	return v
}

// trendText words a trend: "+1.28 µg/m³ since 2016 (+0.43 a year), worsening".
func trendText(loc Locale, ind *metrics.Indicator, t metrics.Trend) string {
	dir := "trend.unchanged"
	switch t.Improving {
	case 1:
		dir = "trend.improving"
	case -1:
		dir = "trend.worsening"
	}
	if t.Change != 0 && ind.Direction == metrics.Neutral {
		dir = "trend.changed"
	}
	return loc.T("trend.text", "Change", signed(loc, t.Change), "Unit", loc.Unit(ind.Unit), "From", t.FromYear,
		"PerYear", signed(loc, t.PerYear), "Direction", loc.T(dir))
}

func signed(loc Locale, v float64) string {
	s := loc.Num(v)
	if v > 0 {
		s = "+" + s
	}
	return s
}

// basisText words how a value was measured.
func basisText(loc Locale, b metrics.Basis) string {
	s := loc.T("basis.reference", "Reference", b.Reference)
	if b.Stations != "" {
		s += "; " + loc.T("basis.stations", "Stations", b.Stations)
	}
	if b.Coverage != "" {
		s += "; " + loc.T("basis.coverage", "Coverage", b.Coverage)
	}
	return s
}

// rankText places a city among the programme's cities:
// "Hanoi: 25th of 25 programme cities on PM2.5 annual mean, 2019".
func rankText(loc Locale, ind *metrics.Indicator, r metrics.Rank) string {
	return loc.T("rank.line", "City", loc.AreaName(r.City), "Rank", loc.Ordinal(r.Rank), "Count", r.Count,
		"Indicator", loc.IndicatorName(ind), "Year", r.Year)
}

// warningText words a comparison warning.
func warningText(loc Locale, w metrics.Warning) string {
	switch w.Kind {
	case metrics.WarnYears:
		return loc.T("warn.years", "A", loc.AreaName(w.A.City), "YearA", w.A.Point.Year, "B", loc.AreaName(w.B.City), "YearB", w.B.Point.Year)
	case metrics.WarnSources:
		return loc.T("warn.sources", "A", sourceName(w.A.Point.Obs), "B", sourceName(w.B.Point.Obs))
	case metrics.WarnBoundary:
		return loc.T("warn.boundary", "A", boundaryOf(loc, w.A), "B", boundaryOf(loc, w.B))
	case metrics.WarnMethod:
		ba, _ := metrics.MeasurementBasis(w.A.Point.Obs.Note)
		bb, _ := metrics.MeasurementBasis(w.B.Point.Obs.Note)
		return loc.T("warn.method", "A", loc.AreaName(w.A.City), "RefA", ba.Reference, "B", loc.AreaName(w.B.City), "RefB", bb.Reference)
	case metrics.WarnKinds, metrics.WarnModelledDatasets:
		return kindWarningText(loc, w)
	}
	return w.Kind
}

func warningTexts(loc Locale, ws []metrics.Warning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = warningText(loc, w)
	}
	return out
}

func boundaryOf(loc Locale, v metrics.SideValue) string {
	name := loc.AreaName(v.Area)
	if v.Area.Boundary != "" {
		return name + " (" + v.Area.Boundary + ")"
	}
	return name
}

// gapText says how far apart two values are: "2.5× (+31.22 µg/m³)".
func gapText(loc Locale, g *metrics.Gap, unit string) string {
	if g.Total {
		return loc.T("pair.total_not_compared")
	}
	diff := loc.Num(g.Diff)
	if g.Diff > 0 {
		diff = "+" + diff
	}
	if g.HasRatio {
		return loc.Ratio(g.Ratio) + " (" + diff + " " + unit + ")"
	}
	return diff + " " + unit
}
