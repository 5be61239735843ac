package dashboard

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

type cityPage struct {
	Area    *metrics.Area
	Parent  *metrics.Area
	Country *metrics.Area
	Linked  []*metrics.Area
	Pairs   []*metrics.Pair
	Themes  []cityTheme
	Charts  []*Chart
	Undated []undatedView
	NoData  []*metrics.Indicator
	// Commitments are the area's climate targets (pair_commitments.go);
	// ContainedIn and Contains name the areas a dataset merges.
	Commitments *commitmentsView
	ContainedIn []*metrics.Area
	Contains    []*metrics.Area
}

type cityTheme struct {
	Theme string
	Rows  []cityRow
}

type cityRow struct {
	Indicator *metrics.Indicator
	Value     valueView
	From, To  int
	Count     int
}

type undatedView struct {
	Indicator *metrics.Indicator
	Area      string
	Value     string
	Source    string
	Note      string
}

// showCity shows every indicator of one area, latest value first.
func (s *Server) showCity(c echo.Context) error {
	ctx, cat, area, err := catalogueEntry(s, c, "slug", (*metrics.Catalogue).Area)
	if err != nil {
		return err
	}
	ids := []int64{area.ID}
	linked := cat.Children(area.ID)
	for _, ch := range linked {
		ids = append(ids, ch.ID)
	}
	dependOn(c).area(ids...)
	obs, err := s.store.ObservationsForAreas(ctx, ids)
	if err != nil {
		return err
	}
	data := metrics.NewDataset(obs)
	v := s.view(c, "city")
	page := &cityPage{Area: area, Linked: linked, Pairs: cat.PairsOf(area.ID), Country: cat.Country(area.CountryISO3)}
	if area.ParentID.Valid {
		page.Parent = cat.AreaByID(area.ParentID.Int64)
	}
	for _, t := range metrics.Themes {
		ct := cityTheme{Theme: t}
		for _, ind := range cat.ThemeIndicators(t) {
			sv := metrics.LatestFor(cat, data, area, ind)
			for _, o := range data.Undated(area.ID, ind.ID) {
				u := undatedView{Indicator: ind, Area: v.Loc.AreaName(area), Source: o.SourceTitle.String, Note: o.Note, Value: o.ValueAsGiven}
				if o.Value.Valid {
					u.Value = v.Loc.Num(o.Value.Float64) + " " + v.Loc.Unit(ind.Unit) + " " + v.Loc.T("city.year_not_given")
				}
				page.Undated = append(page.Undated, u)
			}
			if !sv.Found {
				if ind.ContextOfID.Valid == (area.Kind == metrics.KindCountry) && len(data.Undated(area.ID, ind.ID)) == 0 {
					page.NoData = append(page.NoData, ind)
				}
				continue
			}
			pts := data.Series(sv.Area.ID, ind.ID)
			ct.Rows = append(ct.Rows, cityRow{Indicator: ind, Value: pointView(v.Loc, cat, ind, sv), From: pts[0].Year, To: pts[len(pts)-1].Year, Count: len(pts)})
		}
		if len(ct.Rows) > 0 {
			page.Themes = append(page.Themes, ct)
		}
	}
	// One trend chart per unit of the air theme: the pollutants share µg/m³.
	var ss []series
	var unit string
	for i, ind := range cat.ThemeIndicators("air") {
		pts := data.Series(area.ID, ind.ID)
		if len(pts) == 0 || ind.ContextOfID.Valid {
			continue
		}
		unit = v.Loc.Unit(ind.Unit)
		// The lines here are pollutants, not areas: one fixed colour each,
		// by the pollutant's place in the catalogue.
		ss = append(ss, pointSeries(v.Loc, cat, v.Loc.IndicatorName(ind), pts, false, otherColours[i%len(otherColours)])...)
	}
	if len(ss) > 0 {
		ys := yearsOf(ss)
		ch, err := lineChart(v.Loc, chartID("city", area.Slug, "air"), v.Loc.T("city.air_chart_title", "City", v.Loc.AreaName(area)), unit, unit, ys, ss, nil)
		if err != nil {
			return err
		}
		page.Charts = append(page.Charts, ch)
	}
	cv, tids, err := commitmentsFor(ctx, s.store, v.Loc, cat, []*metrics.Area{area}, data)
	if err != nil {
		return err
	}
	dependOn(c).area(tids...)
	showsTargets(c)
	page.Commitments, page.ContainedIn, page.Contains = cv, cat.ContainedIn(area.ID), cat.Contains(area.ID)
	if err := s.creditPage(c, v, cat, append(page.Commitments.charts(), page.Charts...)...); err != nil {
		return err
	}
	v.Title = v.Loc.AreaName(area)
	v.Download = cityDownload(v.Loc, area, linked)
	v.Data = page
	return s.render(c, http.StatusOK, "city", v)
}
