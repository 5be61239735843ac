package dashboard

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// briefPage is the A4 handout of a pair: what fits on two printed pages.
type briefPage struct {
	Pair     *metrics.Pair
	Title    string
	Sides    [2]string
	Coverage []coverageView
	Rows     []briefRow
	OneSide  int
	Charts   []*Chart
	Sources  []briefSource
	// Version is the data version shown, Date the day it was made: the
	// brief is served from a cache, so the day it is printed is the
	// reader's, set by a script (paper.js).
	Version   int64
	Date      string
	Permalink string
}

// briefRow is a scorecard row cut to what a page width holds: the two
// values with their years, the gap and the verdict.
type briefRow struct {
	Indicator string
	Unit      string
	Sides     [2]string
	Gap       string
	Better    string
	// Caveat is set when the full page warns about the comparison.
	Caveat bool
}

// briefSource is a source of the values shown, with absolute addresses:
// a printout cannot follow a relative link.
type briefSource struct {
	Title   string
	URL     string
	Licence string
	Terms   string
	About   string
	// Paper is set for a source of what a printout of the pair page
	// keeps; the others are listed on the screen only.
	Paper bool
}

// showPairBrief is the printable briefing of a pair.
func (s *Server) showPairBrief(c echo.Context) error {
	cat, cmp, err := s.comparedPair(c)
	if err != nil {
		return err
	}
	v, dv, err := s.versionedView(c, "brief")
	if err != nil {
		return err
	}
	loc := v.Loc
	pp, err := buildPairPage(loc, cat, cmp, nil, cmp.DefaultTheme())
	if err != nil {
		return err
	}
	made, err := s.store.VersionMade(c.Request().Context(), dv)
	if err != nil {
		return err
	}
	b := &briefPage{Pair: cmp.Pair, Title: loc.T("brief.title", "Pair", pp.Title), Sides: pp.Sides, Coverage: pp.Coverage,
		Version: dv, Date: isoDate(made),
		Permalink: s.baseURL + loc.Href(withVersion("/pairs/"+cmp.Pair.Slug, nil, dv))}
	sources := newSourceList(s.baseURL, loc, cat)
	for _, r := range cmp.Rows {
		if !r.Comparable() {
			b.OneSide++
			continue
		}
		br := briefRow{Indicator: loc.IndicatorName(r.Indicator), Unit: r.Indicator.UnitLabel(), Caveat: len(r.Warnings) > 0}
		for si := range r.Sides {
			var parts []string
			for _, sv := range r.Sides[si] {
				if !sv.Found {
					continue
				}
				t := loc.Num(sv.Point.Value) + " (" + itoa(sv.Point.Year) + ")"
				if len(r.Sides[si]) > 1 {
					t = loc.AreaName(sv.City) + ": " + t
				}
				parts = append(parts, t)
				if id := sv.Point.Obs.SourceID; id.Valid {
					sources.add(id.Int64)
				}
			}
			br.Sides[si] = strings.Join(parts, "; ")
		}
		if r.Gap != nil {
			br.Gap = gapText(loc, r.Gap, r.Indicator.UnitLabel())
			if r.Gap.Better > 0 {
				br.Better = pp.Sides[r.Gap.Better-1]
			}
		}
		b.Rows = append(b.Rows, br)
	}
	// The key charts: the overview across indicators and the trend of
	// the pair's headline indicator.
	if pp.Overview != nil {
		b.Charts = append(b.Charts, pp.Overview)
	}
	if want, theme, ok := keyTrend(cat, cmp); ok {
		charts, err := themeCharts(loc, cat, cmp, theme)
		if err != nil {
			return err
		}
		for _, ch := range charts {
			if ch.ID == want {
				b.Charts = append(b.Charts, ch)
			}
		}
	}
	b.Sources = sources.list
	creditCharts(loc, cat, dv, b.Permalink, b.Charts...)
	v.Title = b.Title
	v.Data = b
	return s.render(c, http.StatusOK, "brief", v)
}

// keyTrend names the trend chart a printed pair shows beside its
// overview, and its theme: the one of the pair's headline indicator
// (metrics.Featured). The brief draws it; the pair page prints it when
// it shows that theme (markKeyCharts).
func keyTrend(cat *metrics.Catalogue, cmp *metrics.Comparison) (id, theme string, ok bool) {
	row, ok := metrics.Featured(cat, cmp.Data, cmp.Pair)
	if !ok {
		return "", "", false
	}
	return chartID("line", cmp.Pair.Slug, row.Indicator.Code), row.Indicator.Theme, true
}

// markKeyCharts marks the charts a printout of the pair page keeps, as
// the brief chooses them (keyTrend): the overview and the headline
// indicator's trend; where the page shows another theme, the first
// chart of the theme it shows, which the reader chose.
func markKeyCharts(cat *metrics.Catalogue, cmp *metrics.Comparison, p *pairPage) {
	if p.Overview != nil {
		p.Overview.Key = true
	}
	if len(p.Charts) == 0 {
		return
	}
	if id, _, ok := keyTrend(cat, cmp); ok {
		for _, ch := range p.Charts {
			if ch.ID == id {
				ch.Key = true
				return
			}
		}
	}
	p.Charts[0].Key = true
}
