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
		} else if a.Kind == metrics.KindCity {
			page.Missing = append(page.Missing, a)
		}
		if pts := data.Series(a.ID, ind.ID); len(pts) > 0 {
			ss = append(ss, pointSeries(v.Loc, v.Loc.AreaName(a), pts, a.Kind == metrics.KindCountry))
		}
	}
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i].sv.Point.Value, rs[j].sv.Point.Value
		if ind.Direction == metrics.HigherIsBetter {
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
		if ind.Direction == metrics.HigherIsBetter {
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
		ch, err := lineChart(v.Loc, chartID("series", ind.Code), v.Loc.T("chart.over_time", "Indicator", v.Loc.IndicatorName(ind)), ind.UnitLabel(), ind.UnitLabel(), ys, ss)
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
