package dashboard

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

type pairPage struct {
	Pair      *metrics.Pair
	Title     string
	Sides     [2]string
	Theme     string
	Tabs      []themeTab
	Scorecard []themeScore
	Overview  *Chart
	Charts    []*Chart
	Countries []*metrics.Area
	Coverage  []coverageView
	// Lead and Commitments open the page: what it can compare, and each
	// side's climate commitments (pair_commitments.go).
	Lead        *leadView
	Commitments *commitmentsView
}

type coverageView struct {
	City        string
	Reported    int
	Total       int
	EmptyThemes []string
}

type themeTab struct {
	Theme      string
	Current    bool
	Comparable int
}

type themeScore struct {
	Theme   string
	Rows    []scoreRowView
	Missing []*metrics.Indicator
}

type scoreRowView struct {
	Indicator *metrics.Indicator
	Sides     [2][]valueView
	Gap       string
	Better    string // the side that is better, by the indicator's direction
	Warnings  []string
	// Several is set when a side has more than one city: the gap is
	// then read city by city in the charts, not as one number.
	Several bool
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
	dependOn(c).area(cmp.AreaIDs...)
	theme := c.QueryParam("theme")
	if !validTheme(theme) {
		theme = cmp.DefaultTheme()
	}
	v := s.view(c, "pair")
	page, err := buildPairPage(v.Loc, cat, cmp, theme)
	if err != nil {
		return err
	}
	if page.Commitments, page.Lead, err = s.pairCommitments(c, v.Loc, cat, cmp); err != nil {
		return err
	}
	v.Title = page.Title
	v.Download = pairDownload(v.Loc, cmp.Pair.Slug)
	v.Data = page
	return s.render(c, http.StatusOK, "pair", v)
}

func validTheme(t string) bool {
	for _, x := range metrics.Themes {
		if x == t {
			return true
		}
	}
	return false
}

func buildPairPage(loc Locale, cat *metrics.Catalogue, cmp *metrics.Comparison, theme string) (*pairPage, error) {
	p := &pairPage{Pair: cmp.Pair, Title: loc.PairTitle(cmp.Pair), Theme: theme, Countries: cmp.Countries}
	for i, sd := range cmp.Pair.Sides {
		p.Sides[i] = loc.SideLabel(sd)
	}
	for _, cv := range cmp.Coverage() {
		v := coverageView{City: loc.AreaName(cv.City), Reported: cv.Reported, Total: cv.Total}
		for _, t := range cv.EmptyThemes {
			v.EmptyThemes = append(v.EmptyThemes, loc.Theme(t))
		}
		p.Coverage = append(p.Coverage, v)
	}
	for _, t := range metrics.Themes {
		tab := themeTab{Theme: t, Current: t == theme}
		ts := themeScore{Theme: t, Missing: cmp.Missing[t]}
		for _, r := range cmp.ThemeRows(t) {
			if r.Comparable() {
				tab.Comparable++
			}
			ts.Rows = append(ts.Rows, scoreRow(loc, cat, p, r))
		}
		p.Tabs = append(p.Tabs, tab)
		if len(ts.Rows) > 0 || len(ts.Missing) > 0 {
			p.Scorecard = append(p.Scorecard, ts)
		}
	}
	var err error
	if p.Overview, err = overviewChart(loc, cmp); err != nil {
		return nil, err
	}
	if p.Charts, err = themeCharts(loc, cat, cmp, theme); err != nil {
		return nil, err
	}
	return p, nil
}

func scoreRow(loc Locale, cat *metrics.Catalogue, p *pairPage, r metrics.ScoreRow) scoreRowView {
	rv := scoreRowView{Indicator: r.Indicator, Warnings: warningTexts(loc, r.Warnings),
		Several: len(r.Sides[0]) > 1 || len(r.Sides[1]) > 1}
	for si := range r.Sides {
		for _, sv := range r.Sides[si] {
			rv.Sides[si] = append(rv.Sides[si], pointView(loc, cat, r.Indicator, sv))
		}
	}
	if r.Gap != nil {
		rv.Gap = gapText(loc, r.Gap, r.Indicator.UnitLabel())
		if r.Gap.Better > 0 {
			rv.Better = p.Sides[r.Gap.Better-1]
		}
	}
	return rv
}

// pointNotes are the remarks beside a value in a chart's table.
func pointNotes(loc Locale, p metrics.Point) string {
	var notes []string
	if p.Count > 1 {
		notes = append(notes, ruleText(loc, p))
	}
	if p.Projection() {
		notes = append(notes, loc.T("value.projection"))
	}
	if p.Obs.NumeratorID.Valid && p.Obs.Note != "" {
		notes = append(notes, derivedNote(loc, p.Obs))
	}
	if p.Obs.HasFlag("low_coverage") {
		notes = append(notes, loc.T("value.low_coverage"))
	}
	if p.Obs.Modelled() {
		notes = append(notes, loc.T("value.modelled"))
	}
	return strings.Join(notes, "; ")
}

func pointSeries(loc Locale, name string, pts []metrics.Point, context bool) series {
	s := series{Name: modelledName(loc, name, pts), Values: map[int]float64{}, Notes: map[int]string{}, Context: context}
	for _, p := range pts {
		s.Values[p.Year] = p.Value
		s.Notes[p.Year] = pointNotes(loc, p)
	}
	return s
}

// cityLines are the series of one indicator for the pair: each city's
// own values, the values of its linked areas (other boundaries, named as
// such), and the countries' national context series, dashed.
func cityLines(loc Locale, cat *metrics.Catalogue, cmp *metrics.Comparison, ind *metrics.Indicator) []series {
	var ss []series
	add := func(name string, pts []metrics.Point, context bool) {
		if len(pts) > 0 {
			ss = append(ss, pointSeries(loc, name, pts, context))
		}
	}
	for _, sd := range cmp.Pair.Sides {
		for i := range sd.Cities {
			city := &sd.Cities[i]
			add(loc.AreaName(city), cmp.Data.Series(city.ID, ind.ID), false)
			for _, ch := range cat.Children(city.ID) {
				add(loc.AreaName(ch), cmp.Data.Series(ch.ID, ind.ID), false)
			}
		}
	}
	for _, ctx := range cat.ContextFor(ind.ID) {
		for _, ctry := range cmp.Countries {
			add(loc.T("chart.national", "Country", loc.AreaName(ctry), "Indicator", loc.IndicatorName(ctx)), cmp.Data.Series(ctry.ID, ctx.ID), true)
		}
	}
	return ss
}

func chartID(parts ...string) string {
	return "chart_" + strings.ReplaceAll(strings.Join(parts, "_"), "-", "_")
}

// themeCharts draws, for one theme, a line chart per indicator and a
// bar chart per unit of the latest year every city of the pair has.
func themeCharts(loc Locale, cat *metrics.Catalogue, cmp *metrics.Comparison, theme string) ([]*Chart, error) {
	var out []*Chart
	type group struct {
		unit  string
		cats  []string
		inds  []*metrics.Indicator
		years []int
	}
	var groups []*group
	byUnit := map[string]*group{}
	title := loc.PairTitle(cmp.Pair)
	for _, ind := range cat.ThemeIndicators(theme) {
		if ind.ContextOfID.Valid {
			continue
		}
		ss := cityLines(loc, cat, cmp, ind)
		if len(ss) == 0 {
			continue
		}
		ys := yearsOf(ss)
		ch, err := lineChart(loc, chartID("line", cmp.Pair.Slug, ind.Code),
			loc.T("chart.line_title", "Indicator", loc.IndicatorName(ind), "Pair", title, "From", ys[0], "To", ys[len(ys)-1]),
			ind.UnitLabel(), ind.UnitLabel(), ys, ss)
		if err != nil {
			return nil, err
		}
		if sum := lineSummary(loc, cmp, ind); sum != "" {
			ch.Summary = sum
		}
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
			g.cats = append(g.cats, loc.IndicatorName(ind)+" ("+itoa(y)+")")
		}
	}
	for _, g := range groups {
		var ss []series
		for _, sd := range cmp.Pair.Sides {
			for i := range sd.Cities {
				city := &sd.Cities[i]
				s := series{Name: loc.AreaName(city), Values: map[int]float64{}}
				for i, ind := range g.inds {
					if p, ok := cmp.Data.At(city.ID, ind.ID, g.years[i]); ok {
						s.Values[i] = p.Value
					}
				}
				ss = append(ss, s)
			}
		}
		unit := metrics.UnitLabel(g.unit)
		ch, err := barChart(loc, chartID("bar", cmp.Pair.Slug, theme, g.unit), loc.T("chart.bar_title", "Pair", title), unit, unit, g.cats, ss)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// lineSummary states the comparison of the latest common year in words.
func lineSummary(loc Locale, cmp *metrics.Comparison, ind *metrics.Indicator) string {
	y := cmp.CommonYear(ind)
	if y == 0 || len(cmp.Pair.Sides[0].Cities) != 1 || len(cmp.Pair.Sides[1].Cities) != 1 {
		return ""
	}
	a, b := &cmp.Pair.Sides[0].Cities[0], &cmp.Pair.Sides[1].Cities[0]
	pa, _ := cmp.Data.At(a.ID, ind.ID, y)
	pb, _ := cmp.Data.At(b.ID, ind.ID, y)
	args := []any{"Year", y, "A", loc.AreaName(a), "B", loc.AreaName(b), "Indicator", loc.IndicatorName(ind),
		"ValueA", loc.Num(pa.Value), "ValueB", loc.Num(pb.Value), "Unit", ind.UnitLabel(), "Direction", loc.Direction(ind.Direction)}
	if pb.Value == 0 {
		return loc.T("summary.plain", args...)
	}
	times := strings.TrimSuffix(loc.Ratio(pa.Value/pb.Value), "×")
	return loc.T("summary.ratio", append(args, "Times", times)...)
}

// overviewChart normalises, across themes, every indicator the pair's
// cities have in a common year.
func overviewChart(loc Locale, cmp *metrics.Comparison) (*Chart, error) {
	ns := cmp.Overview()
	if len(ns) == 0 {
		return nil, nil
	}
	var axes []string
	var ss []series
	for _, sd := range cmp.Pair.Sides {
		for i := range sd.Cities {
			ss = append(ss, series{Name: loc.AreaName(&sd.Cities[i]), Values: map[int]float64{}})
		}
	}
	for i, n := range ns {
		dir := map[string]string{metrics.LowerIsBetter: " ↓", metrics.HigherIsBetter: " ↑"}[n.Indicator.Direction]
		axes = append(axes, loc.IndicatorName(n.Indicator)+" "+itoa(n.Year)+dir)
		for j, v := range n.Values {
			ss[j].Values[i] = v
		}
	}
	id, title := chartID("overview", cmp.Pair.Slug), loc.T("chart.overview_title", "Pair", loc.PairTitle(cmp.Pair))
	sub := loc.T("chart.overview_subtitle")
	if len(axes) < 3 {
		// A radar needs three axes to enclose an area; fewer read better as bars.
		return barChart(loc, id, title, sub, loc.T("chart.percent_of_larger"), axes, ss)
	}
	return radarChart(loc, id, title, sub, axes, ss)
}
