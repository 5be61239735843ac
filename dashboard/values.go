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
	Modelled   bool // a modelled estimate, labelled as such
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
// and why (DESIGN rule 2).
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
		v.Missing = true
		return v
	}
	p := sv.Point
	v.Value = loc.Num(p.Value)
	v.Unit = ind.UnitLabel()
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
	return v
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
	diff := loc.Num(g.Diff)
	if g.Diff > 0 {
		diff = "+" + diff
	}
	if g.HasRatio {
		return loc.Ratio(g.Ratio) + " (" + diff + " " + unit + ")"
	}
	return diff + " " + unit
}
