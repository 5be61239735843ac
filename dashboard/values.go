package dashboard

import (
	"fmt"

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
}

type flagView struct {
	Code, Name, Description string
}

func sourceName(o metrics.Observation) string {
	return o.SourceTitle.String
}

func (s *Server) flagViews(cat *metrics.Catalogue, o metrics.Observation) []flagView {
	var out []flagView
	for _, f := range o.FlagList() {
		fv := flagView{Code: f, Name: f}
		if fl := cat.Flag(f); fl != nil {
			fv.Name, fv.Description = fl.NameEN, fl.DescriptionEN
		}
		out = append(out, fv)
	}
	return out
}

// pointView describes a chosen point of an indicator for a city.
func (s *Server) pointView(cat *metrics.Catalogue, ind *metrics.Indicator, sv metrics.SideValue, lang string) valueView {
	v := valueView{City: sv.City.Name}
	if !sv.Found {
		v.Missing = true
		return v
	}
	p := sv.Point
	v.Value = FormatNumber(p.Value, lang)
	v.Unit = ind.UnitLabel()
	v.Year = p.Year
	v.Source = sourceName(p.Obs)
	v.SourceCode = p.Obs.SourceCode.String
	v.Flags = s.flagViews(cat, p.Obs)
	v.Rule = p.RuleText(sourceName)
	v.Derived = p.Obs.NumeratorID.Valid
	v.Projection = p.Projection()
	if v.Derived {
		v.Note = p.Obs.Note
		v.Source = "computed from " + sourceName(p.Obs)
	}
	if sv.OtherBoundary() {
		v.Area = sv.Area.Name
	}
	return v
}

// gapText says how far apart two values are: "2.5× (+31.22 µg/m³)".
func gapText(g *metrics.Gap, unit, lang string) string {
	diff := FormatNumber(g.Diff, lang)
	if g.Diff > 0 {
		diff = "+" + diff
	}
	if g.HasRatio {
		return fmt.Sprintf("%s (%s %s)", FormatRatio(g.Ratio, lang), diff, unit)
	}
	return fmt.Sprintf("%s %s", diff, unit)
}
