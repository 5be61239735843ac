package dashboard

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

type indicatorPage struct {
	Indicator   *metrics.Indicator
	Numerator   *metrics.Indicator
	Denominator *metrics.Indicator
	ContextOf   *metrics.Indicator
	Context     []*metrics.Indicator
	Ranking     []rankRow
	Charts      []*Chart
	Missing     []*metrics.Area
	MaxGap      int
	// Undated are values whose source printed no year.
	Undated []undatedRow
	// All is the full ranking, one page of RankPageSize areas at a time;
	// else the page ranks the programme's areas.
	All               bool
	Page, Pages       int
	From, To          int
	Ranked, Programme int
	Pager             *pager
}

type undatedRow struct {
	Area  *metrics.Area
	Value undatedValue
	Unit  string
}

// RankPageSize is how many areas one page of the full ranking shows.
const RankPageSize = 50

type rankRow struct {
	Rank  int
	Area  *metrics.Area
	Value valueView
}

// programmeAreas are the areas the pages are about: each pair's cities,
// their wider areas and their countries.
func programmeAreas(cat *metrics.Catalogue) []*metrics.Area {
	var out []*metrics.Area
	seen := map[int64]bool{}
	for _, p := range cat.Pairs {
		for _, a := range cat.PairAreas(p) {
			if !seen[a.ID] {
				seen[a.ID] = true
				out = append(out, a)
			}
		}
	}
	return out
}

func areaIDs(as []*metrics.Area) []int64 {
	ids := make([]int64, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	return ids
}

// showIndicator ranks the programme's areas by their latest value of one
// indicator and draws their series over time; ?ranking=all pages through
// every area that has a value. Both read only the areas they show.
func (s *Server) showIndicator(c echo.Context) error {
	ctx, cat, ind, err := catalogueEntry(s, c, "code", (*metrics.Catalogue).Indicator)
	if err != nil {
		return err
	}
	dependOn(c).indicator(ind.ID)
	v := s.view(c, "indicator")
	page := &indicatorPage{Indicator: ind, Context: cat.ContextFor(ind.ID), MaxGap: metrics.MaxDenominatorGap,
		All: c.QueryParam("ranking") == "all", Page: 1}
	if ind.Derived() {
		page.Numerator = cat.IndicatorByID(ind.NumeratorID.Int64)
		page.Denominator = cat.IndicatorByID(ind.DenominatorID.Int64)
	}
	if ind.ContextOfID.Valid {
		page.ContextOf = cat.IndicatorByID(ind.ContextOfID.Int64)
	}
	prog := programmeAreas(cat)
	progIDs := areaIDs(prog)
	ranked, offset, err := s.rankedAreas(c, v.Loc, page, progIDs)
	if err != nil {
		return err
	}
	// The values of the areas on this page, and of the programme's areas
	// for the chart over time.
	load := append(append([]int64{}, ranked...), progIDs...)
	obs, err := s.store.ObservationsFor(ctx, load, []int64{ind.ID})
	if err != nil {
		return err
	}
	data := metrics.NewDataset(obs)
	if err := page.rank(v.Loc, cat, data, ranked, offset); err != nil {
		return err
	}
	if err := page.overTime(v.Loc, cat, data, prog); err != nil {
		return err
	}
	if err := s.creditPage(c, v, cat, page.Charts...); err != nil {
		return err
	}
	v.Title = v.Loc.IndicatorName(ind)
	v.Download = indicatorDownload(v.Loc, ind.Code)
	v.Data = page
	return s.render(c, http.StatusOK, "indicator", v)
}

// largestFirst reports whether an indicator's ranking lists the largest
// value first: a total's order is one of size, not of performance
// (docs/RULES.md, rule 8).
func largestFirst(ind *metrics.Indicator) bool {
	return ind.Direction == metrics.HigherIsBetter || ind.SizeDependent
}

// rankedAreas are the areas the page ranks, in rank order, and the rank
// before the first: the programme's areas, or a page of every area
// (?ranking=all&page=N) with its pager.
func (s *Server) rankedAreas(c echo.Context, loc Locale, page *indicatorPage, progIDs []int64) ([]int64, int, error) {
	ctx, ind := c.Request().Context(), page.Indicator
	var err error
	if _, page.Ranked, err = s.store.RankAreas(ctx, ind.ID, largestFirst(ind), nil, 0, 0); err != nil {
		return nil, 0, err
	}
	if !page.All {
		var ranked []int64
		ranked, page.Programme, err = s.store.RankAreas(ctx, ind.ID, largestFirst(ind), progIDs, 0, len(progIDs))
		return ranked, 0, err
	}
	if n, err := strconv.Atoi(c.QueryParam("page")); err == nil && n > 1 {
		page.Page = n
	}
	page.Pages = max(1, (page.Ranked+RankPageSize-1)/RankPageSize)
	if page.Page > page.Pages {
		return nil, 0, echo.NewHTTPError(http.StatusNotFound)
	}
	offset := (page.Page - 1) * RankPageSize
	ranked, _, err := s.store.RankAreas(ctx, ind.ID, largestFirst(ind), nil, offset, RankPageSize)
	if err != nil {
		return nil, 0, err
	}
	page.From, page.To = offset+1, offset+len(ranked)
	page.Pager = pageLinks(page.Page, page.Pages, "?ranking=all&page=", "#ranking",
		loc.T("indicator.ranking_page", "From", page.From, "To", page.To, "Total", page.Ranked))
	return ranked, offset, nil
}

// rank lists the ranked areas with their latest values, and draws them.
func (page *indicatorPage) rank(loc Locale, cat *metrics.Catalogue, data *metrics.Dataset, ranked []int64, offset int) error {
	ind := page.Indicator
	var labels []string
	var values []float64
	var rankSources []int64
	var rankYears []int
	for i, id := range ranked {
		a := cat.AreaByID(id)
		p, ok := data.Latest(id, ind.ID)
		if a == nil || !ok {
			continue
		}
		sv := metrics.SideValue{City: a, Area: a, Point: p, Found: true}
		page.Ranking = append(page.Ranking, rankRow{Rank: offset + i + 1, Area: a, Value: pointView(loc, cat, ind, sv)})
		labels = append(labels, loc.AreaName(a)+" ("+itoa(p.Year)+")")
		values = append(values, p.Value)
		rankYears = append(rankYears, p.Year)
		if sid := p.Obs.SourceID; sid.Valid && !slices.Contains(rankSources, sid.Int64) {
			rankSources = append(rankSources, sid.Int64)
		}
	}
	if len(values) == 0 {
		return nil
	}
	order := "chart.lowest_first"
	switch {
	case ind.SizeDependent:
		order = "chart.largest_first"
	case ind.Direction == metrics.HigherIsBetter:
		order = "chart.highest_first"
	}
	ch, err := rankChart(loc, chartID("rank", ind.Code), loc.T("chart.rank_title", "Indicator", loc.IndicatorName(ind), "Order", loc.T(order)), loc.Unit(ind.Unit), loc.Unit(ind.Unit), labels, values)
	if err != nil {
		return err
	}
	ch.sources, ch.years = rankSources, rankYears
	page.Charts = append(page.Charts, ch)
	return nil
}

// overTime draws the programme's areas over time and, on the programme's
// ranking, lists the cities with no value and the values without a year.
func (page *indicatorPage) overTime(loc Locale, cat *metrics.Catalogue, data *metrics.Dataset, prog []*metrics.Area) error {
	ind := page.Indicator
	var ss []series
	for _, a := range prog {
		if _, ok := data.Latest(a.ID, ind.ID); !ok && a.Kind == metrics.KindCity && !page.All && len(data.Undated(a.ID, ind.ID)) == 0 {
			page.Missing = append(page.Missing, a)
		}
		if !page.All {
			for _, o := range data.Undated(a.ID, ind.ID) {
				if o.Value.Valid && !o.Year.Valid {
					page.Undated = append(page.Undated, undatedRow{Area: a, Unit: loc.Unit(ind.Unit), Value: undatedValue{
						Value: loc.Num(o.Value.Float64), Source: sourceName(o), SourceCode: o.SourceCode.String,
						Flags: flagViews(loc, cat, o), Note: o.Note}})
				}
			}
		}
		ss = append(ss, areaSeries(loc, cat, data, a, ind, loc.AreaName(a), a.Kind == metrics.KindCountry)...)
	}
	if len(ss) == 0 {
		return nil
	}
	ch, err := lineChart(loc, chartID("series", ind.Code), loc.T("chart.over_time", "Indicator", loc.IndicatorName(ind)), loc.Unit(ind.Unit), loc.Unit(ind.Unit), yearsOf(ss), ss, referenceLines(loc, cat, ind))
	if err != nil {
		return err
	}
	page.Charts = append(page.Charts, ch)
	return nil
}
