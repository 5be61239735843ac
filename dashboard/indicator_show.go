package dashboard

import (
	"net/http"
	"sort"

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
}

type undatedRow struct {
	Area  *metrics.Area
	Value undatedValue
	Unit  string
}

type rankRow struct {
	Rank  int
	Area  *metrics.Area
	Value valueView
}

// showIndicator ranks every area's latest value of one indicator and
// draws the programme cities' series over time.
func (s *Server) showIndicator(c echo.Context) error {
	ctx, cat, err := s.catalogue(c)
	if err != nil {
		return err
	}
	ind, err := cat.Indicator(c.Param("code"))
	if err != nil {
		return err
	}
	dependOn(c).indicator(ind.ID)
	obs, err := s.store.ObservationsForIndicators(ctx, []int64{ind.ID})
	if err != nil {
		return err
	}
	data := metrics.NewDataset(obs)
	v := s.view(c, "indicator")
	page := &indicatorPage{Indicator: ind, Context: cat.ContextFor(ind.ID), MaxGap: metrics.MaxDenominatorGap}
	if ind.Derived() {
		page.Numerator = cat.IndicatorByID(ind.NumeratorID.Int64)
		page.Denominator = cat.IndicatorByID(ind.DenominatorID.Int64)
	}
	if ind.ContextOfID.Valid {
		page.ContextOf = cat.IndicatorByID(ind.ContextOfID.Int64)
	}
	type ranked struct {
		area *metrics.Area
		sv   metrics.SideValue
	}
	var rs []ranked
	var ss []series
	for _, a := range cat.Areas {
		sv := metrics.SideValue{City: a, Area: a}
		if p, ok := data.Latest(a.ID, ind.ID); ok {
			sv.Point, sv.Found = p, true
			rs = append(rs, ranked{a, sv})
		} else if a.Kind == metrics.KindCity && len(data.Undated(a.ID, ind.ID)) == 0 {
			page.Missing = append(page.Missing, a)
		}
		for _, o := range data.Undated(a.ID, ind.ID) {
			if o.Value.Valid && !o.Year.Valid {
				page.Undated = append(page.Undated, undatedRow{Area: a, Unit: ind.UnitLabel(), Value: undatedValue{
					Value: v.Loc.Num(o.Value.Float64), Source: sourceName(o), SourceCode: o.SourceCode.String,
					Flags: flagViews(v.Loc, cat, o), Note: o.Note}})
			}
		}
		ss = append(ss, areaSeries(v.Loc, cat, data, a, ind, v.Loc.AreaName(a), a.Kind == metrics.KindCountry)...)
	}
	// A total is listed largest first: its order is one of size, not of
	// performance (docs/RULES.md, rule 8).
	largestFirst := ind.Direction == metrics.HigherIsBetter || ind.SizeDependent
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i].sv.Point.Value, rs[j].sv.Point.Value
		if largestFirst {
			return a > b
		}
		return a < b
	})
	var labels []string
	var values []float64
	for i, r := range rs {
		page.Ranking = append(page.Ranking, rankRow{Rank: i + 1, Area: r.area, Value: pointView(v.Loc, cat, ind, r.sv)})
		labels = append(labels, v.Loc.AreaName(r.area)+" ("+itoa(r.sv.Point.Year)+")")
		values = append(values, r.sv.Point.Value)
	}
	if len(rs) > 0 {
		order := "chart.lowest_first"
		switch {
		case ind.SizeDependent:
			order = "chart.largest_first"
		case ind.Direction == metrics.HigherIsBetter:
			order = "chart.highest_first"
		}
		ch, err := rankChart(v.Loc, chartID("rank", ind.Code), v.Loc.T("chart.rank_title", "Indicator", v.Loc.IndicatorName(ind), "Order", v.Loc.T(order)), ind.UnitLabel(), ind.UnitLabel(), labels, values)
		if err != nil {
			return err
		}
		page.Charts = append(page.Charts, ch)
	}
	if len(ss) > 0 {
		ys := yearsOf(ss)
		ch, err := lineChart(v.Loc, chartID("series", ind.Code), v.Loc.T("chart.over_time", "Indicator", v.Loc.IndicatorName(ind)), ind.UnitLabel(), ind.UnitLabel(), ys, ss, referenceLines(v.Loc, cat, ind))
		if err != nil {
			return err
		}
		page.Charts = append(page.Charts, ch)
	}
	v.Title = v.Loc.IndicatorName(ind)
	v.Download = indicatorDownload(v.Loc, ind.Code)
	v.Data = page
	return s.render(c, http.StatusOK, "indicator", v)
}
