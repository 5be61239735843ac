package dashboard

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

type pairPage struct {
	Pair      *metrics.Pair
	Theme     string
	ThemeName string
	Tabs      []themeTab
	Scorecard []themeScore
	Overview  *Chart
	Charts    []*Chart
	Countries []*metrics.Area
}

type themeTab struct {
	Theme, Name string
	Current     bool
	Comparable  int
}

type themeScore struct {
	Theme, Name string
	Rows        []scoreRowView
	Missing     []*metrics.Indicator
}

type scoreRowView struct {
	Indicator *metrics.Indicator
	Sides     [2][]valueView
	Gap       string
	Better    string // the side that is better, by the indicator's direction
	Direction string
	Warnings  []metrics.Warning
}

// showPair is the comparison page of a twin pair.
func (s *Server) showPair(c echo.Context) error {
	ctx := c.Request().Context()
	cat, err := s.store.Catalogue(ctx)
	if err != nil {
		return err
	}
	cmp, err := s.store.ComparePair(ctx, cat, c.Param("slug"))
	if err != nil {
		return err
	}
	theme := c.QueryParam("theme")
	if themeNames[theme] == "" {
		theme = cmp.DefaultTheme()
	}
	v := s.view(c, "pair")
	page, err := s.buildPairPage(cat, cmp, theme, v.Lang)
	if err != nil {
		return err
	}
	v.Title = cmp.Pair.Title()
	v.Download = pairDownload(cmp.Pair.Slug)
	v.Data = page
	return s.render(c, http.StatusOK, "pair", v)
}

func (s *Server) buildPairPage(cat *metrics.Catalogue, cmp *metrics.Comparison, theme, lang string) (*pairPage, error) {
	p := &pairPage{Pair: cmp.Pair, Theme: theme, ThemeName: themeNames[theme], Countries: cmp.Countries}
	for _, t := range metrics.Themes {
		tab := themeTab{Theme: t, Name: themeNames[t], Current: t == theme}
		ts := themeScore{Theme: t, Name: themeNames[t], Missing: cmp.Missing[t]}
		for _, r := range cmp.ThemeRows(t) {
			if r.Comparable() {
				tab.Comparable++
			}
			ts.Rows = append(ts.Rows, s.scoreRowView(cat, cmp, r, lang))
		}
		p.Tabs = append(p.Tabs, tab)
		if len(ts.Rows) > 0 || len(ts.Missing) > 0 {
			p.Scorecard = append(p.Scorecard, ts)
		}
	}
	var err error
	if p.Overview, err = overviewChart(cmp); err != nil {
		return nil, err
	}
	if p.Charts, err = themeCharts(cat, cmp, theme); err != nil {
		return nil, err
	}
	return p, nil
}

func (s *Server) scoreRowView(cat *metrics.Catalogue, cmp *metrics.Comparison, r metrics.ScoreRow, lang string) scoreRowView {
	rv := scoreRowView{Indicator: r.Indicator, Warnings: r.Warnings, Direction: r.Indicator.Direction}
	for si := range r.Sides {
		for _, sv := range r.Sides[si] {
			rv.Sides[si] = append(rv.Sides[si], s.pointView(cat, r.Indicator, sv, lang))
		}
	}
	if r.Gap != nil {
		rv.Gap = gapText(r.Gap, r.Indicator.UnitLabel(), lang)
		if r.Gap.Better > 0 {
			rv.Better = cmp.Pair.Sides[r.Gap.Better-1].Label
		}
	}
	return rv
}

// cityLines are the series of one indicator for the pair: each city's
// own values, the values of its linked areas (other boundaries, named as
// such), and the countries' national context series, dashed.
func cityLines(cat *metrics.Catalogue, cmp *metrics.Comparison, ind *metrics.Indicator) []series {
	var ss []series
	add := func(name string, pts []metrics.Point, context bool) {
		if len(pts) == 0 {
			return
		}
		s := series{Name: name, Values: map[int]float64{}, Notes: map[int]string{}, Context: context}
		for _, p := range pts {
			s.Values[p.Year] = p.Value
			var notes []string
			if p.Count > 1 {
				notes = append(notes, p.RuleText(sourceName))
			}
			if p.Projection() {
				notes = append(notes, "projection")
			}
			if p.Obs.NumeratorID.Valid && p.Obs.Note != "" {
				notes = append(notes, p.Obs.Note)
			}
			s.Notes[p.Year] = strings.Join(notes, "; ")
		}
		ss = append(ss, s)
	}
	for _, sd := range cmp.Pair.Sides {
		for _, city := range sd.Cities {
			add(city.Name, cmp.Data.Series(city.ID, ind.ID), false)
			for _, ch := range cat.Children(city.ID) {
				add(ch.Name, cmp.Data.Series(ch.ID, ind.ID), false)
			}
		}
	}
	for _, ctx := range cat.ContextFor(ind.ID) {
		for _, ctry := range cmp.Countries {
			add(fmt.Sprintf("%s — %s (national)", ctry.Name, ctx.NameEN), cmp.Data.Series(ctry.ID, ctx.ID), true)
		}
	}
	return ss
}

func chartID(parts ...string) string {
	return "chart_" + strings.ReplaceAll(strings.Join(parts, "_"), "-", "_")
}

// themeCharts draws, for one theme, a line chart per indicator and a
// bar chart per unit of the latest year every city of the pair has.
func themeCharts(cat *metrics.Catalogue, cmp *metrics.Comparison, theme string) ([]*Chart, error) {
	var out []*Chart
	type group struct {
		unit  string
		cats  []string
		inds  []*metrics.Indicator
		years []int
	}
	var groups []*group
	byUnit := map[string]*group{}
	for _, ind := range cat.ThemeIndicators(theme) {
		if ind.ContextOfID.Valid {
			continue
		}
		ss := cityLines(cat, cmp, ind)
		if len(ss) == 0 {
			continue
		}
		ys := yearsOf(ss)
		title := fmt.Sprintf("%s, %s, %d–%d", ind.NameEN, cmp.Pair.Title(), ys[0], ys[len(ys)-1])
		ch, err := lineChart(chartID("line", cmp.Pair.Slug, ind.Code), title, ind.UnitLabel(), ind.UnitLabel(), ys, ss)
		if err != nil {
			return nil, err
		}
		ch.Summary = lineSummary(cmp, ind)
		out = append(out, ch)
		if y := cmp.CommonYear(ind); y > 0 {
			g := byUnit[ind.Unit]
			if g == nil {
				g = &group{unit: ind.Unit}
				byUnit[ind.Unit] = g
				groups = append(groups, g)
			}
			g.inds = append(g.inds, ind)
			g.years = append(g.years, y)
			g.cats = append(g.cats, fmt.Sprintf("%s (%d)", ind.NameEN, y))
		}
	}
	for _, g := range groups {
		var ss []series
		for _, sd := range cmp.Pair.Sides {
			for _, city := range sd.Cities {
				s := series{Name: city.Name, Values: map[int]float64{}}
				for i, ind := range g.inds {
					if p, ok := cmp.Data.At(city.ID, ind.ID, g.years[i]); ok {
						s.Values[i] = p.Value
					}
				}
				ss = append(ss, s)
			}
		}
		title := fmt.Sprintf("Latest year both have: %s", cmp.Pair.Title())
		ch, err := barChart(chartID("bar", cmp.Pair.Slug, theme, g.unit), title, metrics.UnitLabel(g.unit), metrics.UnitLabel(g.unit), g.cats, ss)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// lineSummary states the comparison of the latest common year in words.
func lineSummary(cmp *metrics.Comparison, ind *metrics.Indicator) string {
	y := cmp.CommonYear(ind)
	if y == 0 || len(cmp.Pair.Sides[0].Cities) != 1 || len(cmp.Pair.Sides[1].Cities) != 1 {
		return ""
	}
	a, b := cmp.Pair.Sides[0].Cities[0], cmp.Pair.Sides[1].Cities[0]
	pa, _ := cmp.Data.At(a.ID, ind.ID, y)
	pb, _ := cmp.Data.At(b.ID, ind.ID, y)
	dir := map[string]string{metrics.LowerIsBetter: "; lower is better", metrics.HigherIsBetter: "; higher is better"}[ind.Direction]
	rel := ""
	if pb.Value != 0 {
		rel = fmt.Sprintf(", %s %s's %s", FormatRatio(pa.Value/pb.Value, "en"), b.Name, FormatNumber(pb.Value, "en"))
	} else {
		rel = fmt.Sprintf("; %s's was %s", b.Name, FormatNumber(pb.Value, "en"))
	}
	return fmt.Sprintf("In %d %s's %s was %s %s%s%s.", y, a.Name, ind.NameEN, FormatNumber(pa.Value, "en"), ind.UnitLabel(), rel, dir)
}

// overviewChart normalises, across themes, every indicator the pair's
// cities have in a common year.
func overviewChart(cmp *metrics.Comparison) (*Chart, error) {
	ns := cmp.Overview()
	if len(ns) == 0 {
		return nil, nil
	}
	var axes []string
	var ss []series
	for _, sd := range cmp.Pair.Sides {
		for _, city := range sd.Cities {
			ss = append(ss, series{Name: city.Name, Values: map[int]float64{}})
		}
	}
	for i, n := range ns {
		dir := map[string]string{metrics.LowerIsBetter: " ↓", metrics.HigherIsBetter: " ↑"}[n.Indicator.Direction]
		axes = append(axes, fmt.Sprintf("%s %d%s", n.Indicator.NameEN, n.Year, dir))
		for j, v := range n.Values {
			ss[j].Values[i] = v
		}
	}
	id, title := chartID("overview", cmp.Pair.Slug), "Overview: each value as % of the larger, "+cmp.Pair.Title()
	const sub = "↓ lower is better · ↑ higher is better"
	if len(axes) < 3 {
		// A radar needs three axes to enclose an area; fewer read better as bars.
		return barChart(id, title, sub, "% of the larger value", axes, ss)
	}
	return radarChart(id, title, sub, axes, ss)
}
