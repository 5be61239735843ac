package dashboard

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

type indicatorsPage struct {
	Themes []indicatorTheme
}

type indicatorTheme struct {
	Theme      string
	Indicators []indicatorItem
}

type indicatorItem struct {
	Indicator   *metrics.Indicator
	Areas       int
	ContextOf   *metrics.Indicator
	Numerator   *metrics.Indicator
	Denominator *metrics.Indicator
}

func itoa(i int) string { return strconv.Itoa(i) }

// listIndicators is the indicator catalogue by theme, with how many
// areas report each.
func (s *Server) listIndicators(c echo.Context) error {
	ctx, cat, err := s.catalogueOfAll(c)
	if err != nil {
		return err
	}
	areas, err := s.store.IndicatorAreaCounts(ctx)
	if err != nil {
		return err
	}
	page := &indicatorsPage{}
	for _, t := range metrics.Themes {
		it := indicatorTheme{Theme: t}
		for _, ind := range cat.ThemeIndicators(t) {
			item := indicatorItem{Indicator: ind, Areas: areas[ind.ID]}
			if ind.ContextOfID.Valid {
				item.ContextOf = cat.IndicatorByID(ind.ContextOfID.Int64)
			}
			if ind.Derived() {
				item.Numerator = cat.IndicatorByID(ind.NumeratorID.Int64)
				item.Denominator = cat.IndicatorByID(ind.DenominatorID.Int64)
			}
			it.Indicators = append(it.Indicators, item)
		}
		if len(it.Indicators) > 0 {
			page.Themes = append(page.Themes, it)
		}
	}
	v := s.view(c, "indicators")
	v.Title = v.Loc.T("indicators.title")
	v.Data = page
	return s.render(c, http.StatusOK, "indicators", v)
}
