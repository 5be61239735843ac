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
}

type cityTheme struct {
	Theme, Name string
	Rows        []cityRow
}

type cityRow struct {
	Indicator *metrics.Indicator
	Value     valueView
	Years     string // "2010–2019, 8 years"
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
	ctx := c.Request().Context()
	cat, err := s.store.Catalogue(ctx)
	if err != nil {
		return err
	}
	area, err := cat.Area(c.Param("slug"))
	if err != nil {
		return err
	}
	ids := []int64{area.ID}
	linked := cat.Children(area.ID)
	for _, ch := range linked {
		ids = append(ids, ch.ID)
	}
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
		ct := cityTheme{Theme: t, Name: themeNames[t]}
		for _, ind := range cat.ThemeIndicators(t) {
			sv := metrics.LatestFor(cat, data, area, ind)
			for _, o := range data.Undated(area.ID, ind.ID) {
				u := undatedView{Indicator: ind, Area: area.Name, Source: o.SourceTitle.String, Note: o.Note, Value: o.ValueAsGiven}
				if o.Value.Valid {
					u.Value = FormatNumber(o.Value.Float64, v.Lang) + " " + ind.UnitLabel() + " (year not given)"
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
			ct.Rows = append(ct.Rows, cityRow{Indicator: ind, Value: s.pointView(cat, ind, sv, v.Lang), Years: yearSpan(pts)})
		}
		if len(ct.Rows) > 0 {
			page.Themes = append(page.Themes, ct)
		}
	}
	// One trend chart per unit of the air theme: the pollutants share µg/m³.
	var ss []series
	var unit string
	for _, ind := range cat.ThemeIndicators("air") {
		pts := data.Series(area.ID, ind.ID)
		if len(pts) == 0 || ind.ContextOfID.Valid {
			continue
		}
		unit = ind.UnitLabel()
		sr := series{Name: ind.NameEN, Values: map[int]float64{}}
		for _, p := range pts {
			sr.Values[p.Year] = p.Value
		}
		ss = append(ss, sr)
	}
	if len(ss) > 0 {
		ys := yearsOf(ss)
		ch, err := lineChart(chartID("city", area.Slug, "air"), "Air quality in "+area.Name, unit, unit, ys, ss)
		if err != nil {
			return err
		}
		page.Charts = append(page.Charts, ch)
	}
	v.Title = area.DisplayName()
	v.Download = cityDownload(area, linked)
	v.Data = page
	return s.render(c, http.StatusOK, "city", v)
}

func yearSpan(pts []metrics.Point) string {
	if len(pts) == 0 {
		return ""
	}
	if len(pts) == 1 {
		return itoa(pts[0].Year)
	}
	return itoa(pts[0].Year) + "–" + itoa(pts[len(pts)-1].Year) + " (" + itoa(len(pts)) + " years)"
}
