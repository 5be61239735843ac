package dashboard

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

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
	// Undated is set when the theme has values without a year, which
	// the scorecard shows and no chart over time can draw.
	Undated bool
	// Lead and Commitments open the page: what it can compare, and each
	// side's climate commitments (pair_commitments.go).
	Lead        *leadView
	Commitments *commitmentsView
	// What a printout of the page names: the sources of its values with
	// absolute addresses, the data version and the date it was made, and
	// the page's own address (pairPaper). The page is served from a
	// cache: the date printed is the reader's, set by a script when the
	// page is printed (paper.js).
	Sources []briefSource
	Version int64
	Date    string
	Address string
	// Compared and OneSide count the scorecard's indicators both sides
	// report, which a printout keeps, and the others, which it leaves
	// to the page; TotalsOff the totals a printout leaves to the page
	// too, as it prints their per-capita rows (scoreRowView.Paper).
	Compared, OneSide, TotalsOff int
	// PaperWarnings are the warnings of the rows a printout keeps, each
	// once, as numbered notes under the scorecard (warningView).
	PaperWarnings []string
}

// warningView is one warning of a scorecard row. Paper names the
// warning by its kind (Short) and the number of its note (Note, from
// 1; 0 on a row paper leaves to the page), and gives each warning in
// full once, under the scorecard (pairPage.PaperWarnings): written out
// in the gap column, a boundary's takes six lines a row.
type warningView struct {
	Text  string
	Short string
	Note  int
}

// warningsOf are the views of a row's warnings.
func warningsOf(loc Locale, ws []metrics.Warning) []warningView {
	out := make([]warningView, len(ws))
	for i, w := range ws {
		out[i] = warningView{Text: warningText(loc, w), Short: loc.T("warn.kind." + w.Kind)}
	}
	return out
}

// numberPaperWarnings numbers the warnings of the rows a printout keeps
// (markPaperRows), one number to each distinct text, in the order the
// rows read, and lists the texts.
func numberPaperWarnings(p *pairPage) {
	note := map[string]int{}
	for _, ts := range p.Scorecard {
		for i := range ts.Rows {
			r := &ts.Rows[i]
			if !r.Paper {
				continue
			}
			for j := range r.Warnings {
				w := &r.Warnings[j]
				if note[w.Text] == 0 {
					p.PaperWarnings = append(p.PaperWarnings, w.Text)
					note[w.Text] = len(p.PaperWarnings)
				}
				w.Note = note[w.Text]
			}
		}
	}
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
	// Link opens the theme on the same page.
	Link string
}

type themeScore struct {
	Theme string
	Rows  []scoreRowView
	// Compared counts the rows both sides report, Paper those printed.
	Compared, Paper int
	Missing         []*metrics.Indicator
	// NationalGap says which national context the theme cannot draw,
	// and why.
	NationalGap string
}

type scoreRowView struct {
	Indicator *metrics.Indicator
	Sides     [2][]valueView
	Gap       string
	Better    string // the side that is better, by the indicator's direction
	Warnings  []warningView
	// Several is set when a side has more than one city: the gap is
	// then read city by city in the charts, not as one number.
	Several bool
	// Total is set for a size-dependent indicator: no verdict; Instead
	// names the rate to compare, with its gap when both sides have it.
	Total      bool
	Instead    *metrics.Indicator
	InsteadGap string
	// Ranks place each city among the programme's cities.
	Ranks []string
	// Undated is set when a side has only values without a year.
	Undated bool
	// Compared is set when both sides report the indicator; Paper when
	// a printout keeps the row: compared, and not a total whose
	// per-capita row it prints (docs/RULES.md, rule 8: that row is the
	// comparison).
	Compared, Paper bool
}

// markPaperRows marks the rows a printout keeps and counts them.
func markPaperRows(p *pairPage) {
	compared := map[int64]bool{}
	for _, ts := range p.Scorecard {
		for _, r := range ts.Rows {
			if r.Compared {
				compared[r.Indicator.ID] = true
			}
		}
	}
	for i := range p.Scorecard {
		ts := &p.Scorecard[i]
		for j := range ts.Rows {
			r := &ts.Rows[j]
			r.Paper = r.Compared && !(r.Total && r.Instead != nil && compared[r.Instead.ID])
			if r.Paper {
				ts.Paper++
			} else if r.Compared {
				p.TotalsOff++
			}
		}
	}
}

// comparedPair reads the catalogue and the comparison of the pair the
// address names, and records that the answer depends on the pair's
// areas; the pair page, its brief and its embeds start here.
func (s *Server) comparedPair(c echo.Context) (*metrics.Catalogue, *metrics.Comparison, error) {
	ctx, cat, err := s.catalogue(c)
	if err != nil {
		return nil, nil, err
	}
	cmp, err := s.store.ComparePair(ctx, cat, c.Param("slug"))
	if err != nil {
		return nil, nil, err
	}
	dependOn(c).area(cmp.AreaIDs...)
	return cat, cmp, nil
}

// showPair is the comparison page of a twin pair.
func (s *Server) showPair(c echo.Context) error {
	cat, cmp, err := s.comparedPair(c)
	if err != nil {
		return err
	}
	v := s.view(c, "pair")
	page, ranks, err := s.rankedPairPage(c, v.Loc, cat, cat, cmp)
	if err != nil {
		return err
	}
	// The rank lines read every programme city's values of these
	// indicators: a new value anywhere changes them.
	for id := range ranks {
		dependOn(c).indicator(id)
	}
	theme := page.Theme
	if page.Commitments, page.Lead, err = s.pairCommitments(c, v.Loc, cat, cmp); err != nil {
		return err
	}
	addEmbedSnippets(s.baseURL, v.Loc, cat, cmp.Pair, theme, page.Charts)
	if err := s.pairPaper(c, v, cat, page); err != nil {
		return err
	}
	v.Title = page.Title
	v.Download = pairDownload(v.Loc, cmp.Pair.Slug)
	v.Data = page
	return s.render(c, http.StatusOK, "pair", v)
}

// pairPaper gives a pair page what its printout names: the charts'
// credits, the sources of every value, target and chart on the page
// with absolute addresses, the data version with the date it was made,
// and the page's address.
func (s *Server) pairPaper(c echo.Context, v *View, cat *metrics.Catalogue, p *pairPage) error {
	dv, address, err := s.citedVersion(c, v)
	if err != nil {
		return err
	}
	made, err := s.store.VersionMade(c.Request().Context(), dv)
	if err != nil {
		return err
	}
	p.Version, p.Date, p.Address = dv, isoDate(made), address
	charts := p.allCharts()
	creditCharts(v.Loc, cat, dv, p.Address, charts...)
	list := newSourceList(s.baseURL, v.Loc, cat)
	// The sources of what a printout keeps (the rows both sides report,
	// the commitments' lines, the key charts) are marked: paper lists
	// those, the screen all.
	var paper []int64
	for _, ts := range p.Scorecard {
		for _, r := range ts.Rows {
			for _, side := range r.Sides {
				for _, val := range side {
					ids := []int64{list.addCode(val.SourceCode)}
					for _, u := range val.Undated {
						ids = append(ids, list.addCode(u.SourceCode))
					}
					if r.Paper {
						paper = append(paper, ids...)
					}
				}
			}
		}
	}
	if cv := p.Commitments; cv != nil {
		var areas []areaTargets
		for _, cc := range cv.Cities {
			areas = append(append(areas, cc.Own), cc.Larger...)
		}
		for _, at := range append(areas, cv.National...) {
			for _, t := range at.Targets {
				list.addCode(t.SourceID)
			}
		}
	}
	paper = append(paper, p.Commitments.paperSources()...)
	for _, ch := range charts {
		if ch != nil {
			list.add(ch.sources...)
			if ch.Key {
				paper = append(paper, ch.sources...)
			}
		}
	}
	list.onPaper(paper...)
	p.Sources = list.list
	return nil
}

// allCharts are the page's charts, from the top: the commitments'
// progress, the overview, the theme's trends.
func (p *pairPage) allCharts() []*Chart {
	out := append(p.Commitments.charts(), p.Overview)
	return append(out, p.Charts...)
}

func validTheme(t string) bool { return slices.Contains(metrics.Themes, t) }

// pairTheme is the theme the address asks for, or the comparison's
// default when it names none the pages know.
func pairTheme(c echo.Context, cmp *metrics.Comparison) string {
	if t := c.QueryParam("theme"); validTheme(t) {
		return t
	}
	return cmp.DefaultTheme()
}

func buildPairPage(loc Locale, cat *metrics.Catalogue, cmp *metrics.Comparison, ranks map[int64]map[int64]metrics.Rank, theme string) (*pairPage, error) {
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
		tab := themeTab{Theme: t, Current: t == theme, Link: "?theme=" + t + "#trends"}
		ts := themeScore{Theme: t, Missing: cmp.Missing[t], NationalGap: nationalGap(loc, cat, cmp, t)}
		for _, r := range cmp.ThemeRows(t) {
			if r.Comparable() {
				tab.Comparable++
			}
			rv := scoreRow(loc, cat, p, r, ranks[r.Indicator.ID])
			if rv.Undated && t == theme {
				p.Undated = true
			}
			if rv.Compared = r.Comparable(); rv.Compared {
				ts.Compared++
				p.Compared++
			} else {
				p.OneSide++
			}
			ts.Rows = append(ts.Rows, rv)
		}
		p.Tabs = append(p.Tabs, tab)
		if len(ts.Rows) > 0 || len(ts.Missing) > 0 {
			p.Scorecard = append(p.Scorecard, ts)
		}
	}
	markPaperRows(p)
	numberPaperWarnings(p)
	var err error
	if p.Overview, err = overviewChart(loc, cat, cmp); err != nil {
		return nil, err
	}
	if p.Charts, err = themeCharts(loc, cat, cmp, theme); err != nil {
		return nil, err
	}
	markKeyCharts(cat, cmp, p)
	return p, nil
}

func scoreRow(loc Locale, cat *metrics.Catalogue, p *pairPage, r metrics.ScoreRow, ranks map[int64]metrics.Rank) scoreRowView {
	rv := scoreRowView{Indicator: r.Indicator, Warnings: warningsOf(loc, r.Warnings),
		Several: len(r.Sides[0]) > 1 || len(r.Sides[1]) > 1, Total: r.Indicator.SizeDependent}
	for si := range r.Sides {
		for _, sv := range r.Sides[si] {
			rv.Sides[si] = append(rv.Sides[si], pointView(loc, cat, r.Indicator, sv))
			rv.Undated = rv.Undated || sv.HasUndated()
			if rk, ok := ranks[sv.City.ID]; ok {
				rv.Ranks = append(rv.Ranks, rankText(loc, r.Indicator, rk))
			}
		}
	}
	if r.Gap != nil {
		rv.Gap = gapText(loc, r.Gap, loc.Unit(r.Indicator.Unit))
		if r.Gap.Better > 0 {
			rv.Better = p.Sides[r.Gap.Better-1]
		}
	}
	if r.Indicator.SizeDependent {
		rv.Instead = cat.PerCapita(r.Indicator)
		if r.Instead != nil && r.Instead.Gap != nil {
			rv.InsteadGap = gapText(loc, r.Instead.Gap, loc.Unit(r.Instead.Indicator.Unit))
		}
	}
	return rv
}

// rankedPairPage is the page of a comparison, drawn from the catalogue
// drawn on the theme the address asks for, with its cities placed among
// the programme's cities of cat, and those places by indicator.
func (s *Server) rankedPairPage(c echo.Context, loc Locale, cat, drawn *metrics.Catalogue, cmp *metrics.Comparison) (*pairPage, map[int64]map[int64]metrics.Rank, error) {
	ranks, err := s.pairRanks(c.Request().Context(), cat, cmp)
	if err != nil {
		return nil, nil, err
	}
	page, err := buildPairPage(loc, drawn, cmp, ranks, pairTheme(c, cmp))
	return page, ranks, err
}

// pairRanks places the pair's cities among the programme's cities on
// each indicator of its scorecard that has a direction and is a rate.
func (s *Server) pairRanks(ctx context.Context, cat *metrics.Catalogue, cmp *metrics.Comparison) (map[int64]map[int64]metrics.Rank, error) {
	var ids []int64
	for _, r := range cmp.Rows {
		if r.Comparable() && r.Indicator.Direction != metrics.Neutral && !r.Indicator.SizeDependent {
			ids = append(ids, r.Indicator.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	// The programme's cities only, through the index on area and
	// indicator: every area's values of a dozen indicators are millions
	// of rows in a national deployment.
	obs, err := s.store.ObservationsFor(ctx, metrics.ProgrammeCityIDs(cat), ids)
	if err != nil {
		return nil, err
	}
	d := metrics.NewDataset(obs)
	out := make(map[int64]map[int64]metrics.Rank, len(ids))
	for _, id := range ids {
		out[id] = metrics.Ranks(cat, d, cat.IndicatorByID(id))
	}
	return out, nil
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

// drawnFlags are the flags that make a point look flagged: every flag
// but a projection (drawn as a dashed series of its own) and
// self-reporting (true of a whole source, said in the scorecard).
func drawnFlags(o metrics.Observation) []string {
	var out []string
	for _, f := range o.FlagList() {
		if f != "projection" && f != "self_reported" {
			out = append(out, f)
		}
	}
	return out
}

// pointSeries turns an area's chosen points into what a line chart
// draws: the measured values, with flagged points hollow and the line
// broken where the source changes, and the projections as a dashed
// series of their own (docs/RULES.md, rules 6 and 7).
func pointSeries(loc Locale, cat *metrics.Catalogue, name string, pts []metrics.Point, context bool, colour string) []series {
	newSeries := func(n string) series {
		return series{Name: n, Values: map[int]float64{}, Notes: map[int]string{}, Flags: map[int][]string{},
			Breaks: map[int]bool{}, Context: context, Colour: colour}
	}
	name = modelledName(loc, name, pts)
	obs, proj := newSeries(name), newSeries(loc.T("chart.projection_series", "Name", name))
	proj.Dashed = true
	var prev *metrics.Point
	for i := range pts {
		p := pts[i]
		s := &obs
		if p.Projection() {
			s = &proj
		}
		s.Values[p.Year] = p.Value
		s.Notes[p.Year] = pointNotes(loc, p)
		if id := p.Obs.SourceID; id.Valid && !slices.Contains(s.Sources, id.Int64) {
			s.Sources = append(s.Sources, id.Int64)
		}
		for _, f := range drawnFlags(p.Obs) {
			fname, desc := f, ""
			if fl := cat.Flag(f); fl != nil {
				fname, desc = loc.FlagName(fl), loc.FlagDescription(fl)
			}
			s.Flags[p.Year] = append(s.Flags[p.Year], fname)
			s.Footnotes = append(s.Footnotes, loc.T("chart.note_flag", "Flag", fname, "Description", desc))
		}
		if p.Projection() {
			continue
		}
		if prev != nil && prev.Obs.SourceCode.String != p.Obs.SourceCode.String {
			obs.Breaks[p.Year] = true
			obs.Footnotes = append(obs.Footnotes, loc.T("chart.note_break", "Series", name, "Year", p.Year,
				"From", sourceName(prev.Obs), "To", sourceName(p.Obs)))
		}
		prev = &pts[i]
	}
	var out []series
	if len(obs.Values) > 0 {
		out = append(out, obs)
	}
	if len(proj.Values) > 0 {
		proj.Footnotes = append(proj.Footnotes, loc.T("chart.note_projection", "Series", name))
		out = append(out, proj)
	}
	return out
}

// areaSeries is pointSeries for an area, in its colour, with each
// release of a database the headline rule passes over in several years
// drawn beside it, dashed and named with its source, so that two
// vintages are never merged silently.
func areaSeries(loc Locale, cat *metrics.Catalogue, d *metrics.Dataset, area *metrics.Area, ind *metrics.Indicator, name string, context bool) []series {
	pts := d.Series(area.ID, ind.ID)
	if len(pts) == 0 {
		return nil
	}
	colour := colourOf(cat, area)
	alts := d.Alternates(area.ID, ind.ID)
	plain := name
	if len(alts) > 0 {
		name = loc.T("chart.series_source", "Name", name, "Source", sourceName(pts[len(pts)-1].Obs))
	}
	out := pointSeries(loc, cat, name, pts, context, colour)
	for _, a := range alts {
		base := loc.T("chart.series_source", "Name", plain, "Source", a.SourceTitle)
		for _, s := range pointSeries(loc, cat, base, a.Points, context, colour) {
			s.Alternate = true
			s.Footnotes = append(s.Footnotes, loc.T("chart.note_vintage", "Series", base))
			out = append(out, s)
		}
	}
	return out
}

// cityLines are the series of one indicator for the pair: each city's
// own values, the values of its linked areas (other boundaries, named as
// such), and the countries' national context series, dashed, each in
// its area's colour. It reports whether any city series was drawn.
func cityLines(loc Locale, cat *metrics.Catalogue, cmp *metrics.Comparison, ind *metrics.Indicator) (ss []series, cities bool) {
	for _, city := range cmp.Pair.Cities() {
		ss = append(ss, areaSeries(loc, cat, cmp.Data, city, ind, loc.AreaName(city), false)...)
		for _, ch := range cat.Children(city.ID) {
			ss = append(ss, areaSeries(loc, cat, cmp.Data, ch, ind, loc.AreaName(ch), false)...)
		}
	}
	cities = len(ss) > 0
	for _, ctx := range cat.ContextFor(ind.ID) {
		for _, ctry := range cmp.Countries {
			ss = append(ss, areaSeries(loc, cat, cmp.Data, ctry, ctx, loc.T("chart.national", "Country", loc.AreaName(ctry), "Indicator", loc.IndicatorName(ctx)), true)...)
		}
	}
	return ss, cities
}

// referenceLines are an indicator's guideline and limit values, labelled
// in the reader's language.
func referenceLines(loc Locale, cat *metrics.Catalogue, ind *metrics.Indicator) []refLine {
	var out []refLine
	for _, l := range cat.ReferenceLines(ind.ID) {
		label := l.LabelEN
		if loc.Lang == "vi" && l.LabelVI != "" {
			label = l.LabelVI
		}
		short := l.ShortLabel
		if short == "" {
			short = label
		}
		out = append(out, refLine{Label: label, Short: short, Value: l.Value, Limit: l.Kind == "limit_value", Source: l.Source})
	}
	return out
}

func chartID(parts ...string) string {
	return "chart_" + strings.ReplaceAll(strings.Join(parts, "_"), "-", "_")
}

// lineTitle names what a line chart draws and the years it spans: the
// indicator, or, where only national context lines exist, their own
// indicators (primary energy is not final energy); one year is not a
// range.
func lineTitle(loc Locale, cat *metrics.Catalogue, ind *metrics.Indicator, where string, cities bool, ys []int) string {
	name := loc.IndicatorName(ind)
	if !cities {
		var names []string
		for _, c := range cat.ContextFor(ind.ID) {
			names = append(names, loc.IndicatorName(c))
		}
		if len(names) > 0 {
			name = strings.Join(names, ", ")
		}
	}
	if ys[0] == ys[len(ys)-1] {
		return loc.T("chart.line_title_year", "Indicator", name, "Pair", where, "Year", ys[0])
	}
	return loc.T("chart.line_title", "Indicator", name, "Pair", where, "From", ys[0], "To", ys[len(ys)-1])
}

// themeCharts draws, for one theme, a line chart per indicator and a
// bar chart per unit of the latest year every city of the pair has.
func themeCharts(loc Locale, cat *metrics.Catalogue, cmp *metrics.Comparison, theme string) ([]*Chart, error) {
	var out []*Chart
	title := loc.PairTitle(cmp.Pair)
	for _, ind := range cat.ThemeIndicators(theme) {
		if ind.ContextOfID.Valid {
			continue
		}
		ss, cities := cityLines(loc, cat, cmp, ind)
		if len(ss) == 0 {
			continue
		}
		ys := yearsOf(ss)
		ch, err := lineChart(loc, chartID("line", cmp.Pair.Slug, ind.Code), lineTitle(loc, cat, ind, title, cities, ys),
			loc.Unit(ind.Unit), loc.Unit(ind.Unit), ys, ss, referenceLines(loc, cat, ind))
		if err != nil {
			return nil, err
		}
		if sum := lineSummary(loc, cmp, ind); sum != "" {
			ch.Summary = sum
		}
		out = append(out, ch)
	}
	for _, g := range cmp.BarGroups(theme) {
		var cats []string
		for i, ind := range g.Indicators {
			cats = append(cats, loc.IndicatorName(ind)+" ("+strconv.Itoa(g.Years[i])+")")
		}
		var ss []series
		for i, city := range g.Cities {
			s := series{Name: loc.AreaName(city), Values: map[int]float64{}, Colour: colourOf(cat, city)}
			for j, p := range g.Values[i] {
				if g.Found[i][j] {
					s.Values[j] = p.Value
					if id := p.Obs.SourceID; id.Valid && !slices.Contains(s.Sources, id.Int64) {
						s.Sources = append(s.Sources, id.Int64)
					}
				}
			}
			ss = append(ss, s)
		}
		unit := loc.Unit(g.Unit)
		ch, err := barChart(loc, chartID("bar", cmp.Pair.Slug, theme, g.Unit), loc.T("chart.bar_title", "Pair", title), unit, unit, cats, ss)
		if err != nil {
			return nil, err
		}
		ch.years = g.Years
		out = append(out, ch)
	}
	return out, nil
}

// lineSummary states the comparison of the latest common year in words;
// a total gets its two values and no ratio (docs/RULES.md, rule 8).
func lineSummary(loc Locale, cmp *metrics.Comparison, ind *metrics.Indicator) string {
	sm, ok := cmp.Summary(ind)
	if !ok {
		return ""
	}
	args := []any{"Year", sm.Year, "A", loc.AreaName(sm.A), "B", loc.AreaName(sm.B), "Indicator", loc.IndicatorName(ind),
		"ValueA", loc.Num(sm.PA.Value), "ValueB", loc.Num(sm.PB.Value), "Unit", loc.Unit(ind.Unit), "Direction", loc.Direction(ind.Direction)}
	var out string
	switch {
	case ind.SizeDependent:
		out = loc.T("summary.total", args...)
	case !sm.HasRatio:
		out = loc.T("summary.plain", args...)
	default:
		times := strings.TrimSuffix(loc.Ratio(sm.Ratio), "×")
		out = loc.T("summary.ratio", append(args, "Times", times)...)
	}
	// A flagged value in the sentence carries its flags there too.
	for _, x := range []struct {
		area *metrics.Area
		p    metrics.Point
	}{{sm.A, sm.PA}, {sm.B, sm.PB}} {
		var names []string
		for _, f := range drawnFlags(x.p.Obs) {
			if fl := cmp.Catalogue.Flag(f); fl != nil {
				f = loc.FlagName(fl)
			}
			names = append(names, f)
		}
		if len(names) > 0 {
			out += " " + loc.T("summary.flagged", "Name", loc.AreaName(x.area), "Year", sm.Year, "Flags", strings.Join(names, ", "))
		}
	}
	return out
}

// overviewChart normalises, across themes, every indicator the pair's
// cities have in a common year.
func overviewChart(loc Locale, cat *metrics.Catalogue, cmp *metrics.Comparison) (*Chart, error) {
	ns := cmp.Overview()
	if len(ns) == 0 {
		return nil, nil
	}
	var axes []string
	var ss []series
	var cities []*metrics.Area
	for _, city := range cmp.Pair.Cities() {
		cities = append(cities, city)
		ss = append(ss, series{Name: loc.AreaName(city), Values: map[int]float64{}, Colour: colourOf(cat, city)})
	}
	var years []int
	for i, n := range ns {
		dir := map[string]string{metrics.LowerIsBetter: " ↓", metrics.HigherIsBetter: " ↑"}[n.Indicator.Direction]
		axes = append(axes, loc.IndicatorName(n.Indicator)+" "+itoa(n.Year)+dir)
		years = append(years, n.Year)
		for j, v := range n.Values {
			ss[j].Values[i] = v
			if pt, ok := cmp.Data.At(cities[j].ID, n.Indicator.ID, n.Year); ok {
				if id := pt.Obs.SourceID; id.Valid && !slices.Contains(ss[j].Sources, id.Int64) {
					ss[j].Sources = append(ss[j].Sources, id.Int64)
				}
			}
		}
	}
	id, title := chartID("overview", cmp.Pair.Slug), loc.T("chart.overview_title", "Pair", loc.PairTitle(cmp.Pair))
	sub := loc.T("chart.overview_subtitle")
	draw := radarChart
	if len(axes) < 3 {
		// A radar needs three axes to enclose an area; fewer read better as bars.
		draw = func(loc Locale, id, title, sub string, axes []string, ss []series) (*Chart, error) {
			return barChart(loc, id, title, sub, loc.T("chart.percent_of_larger"), axes, ss)
		}
	}
	ch, err := draw(loc, id, title, sub, axes, ss)
	if err != nil {
		return nil, err
	}
	ch.years = years
	return ch, nil
}

// nationalGap names, on the energy theme, the pair's countries whose
// final energy consumption per capita cannot be drawn as national
// context, and why: a per-capita value is computed only from a
// population of the same area and year, and the data holds no dated
// national population (the Net Zero Tracker prints one without its
// year). A country that has a population but no per-capita value lacks
// the energy figure, which its "no data" already says.
func nationalGap(loc Locale, cat *metrics.Catalogue, cmp *metrics.Comparison, theme string) string {
	if theme != "energy" {
		return ""
	}
	ind, err := cat.Indicator("final_energy_per_capita")
	if err != nil {
		return ""
	}
	pop, err := cat.Indicator("population")
	if err != nil {
		return ""
	}
	var names []string
	for _, ctry := range cmp.Countries {
		if len(cmp.Data.Series(ctry.ID, ind.ID)) > 0 || len(cmp.Data.Series(ctry.ID, pop.ID)) > 0 {
			continue
		}
		names = append(names, loc.AreaName(ctry))
	}
	if len(names) == 0 {
		return ""
	}
	return loc.T("pair.national_gap.final_energy_per_capita", "Countries", strings.Join(names, ", "))
}

// isoDate is the day of t as 2006-01-02, or "" for the zero time.
func isoDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}
