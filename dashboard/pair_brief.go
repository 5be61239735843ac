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
	// Commitments are the sides' headline targets, nil when no city of
	// the pair has a target or a statement about one.
	Commitments *briefCommitments
	Charts      []*Chart
	Sources     []briefSource
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

// briefCommitments is what a handout says of the sides' climate
// commitments: each city's net-zero (or neutrality) targets and its
// headline reduction target (headlineTarget), as the pair page's
// printout keeps them, each with its year, base year, kind, scope and
// source; the page lists the rest.
type briefCommitments struct {
	Cities []briefCityTargets
	// Compare says what differs between the headline targets of two
	// sides of one city each.
	Compare string
}

type briefCityTargets struct {
	City    string
	Slug    string
	Targets []targetView
	// None is set when the sources hold neither a target of the city
	// nor a statement about one; More counts what the page lists besides
	// (other targets, statements, a larger area's targets).
	None bool
	More int
}

// briefCommitmentsOf cuts the pair page's commitments to a handout's,
// with the ids of the sources of the targets it keeps.
func briefCommitmentsOf(loc Locale, cat *metrics.Catalogue, p *metrics.Pair, cv *commitmentsView) (*briefCommitments, []int64) {
	if cv == nil {
		return nil, nil
	}
	b := &briefCommitments{}
	var sources []int64
	held := false
	for _, cc := range cv.Cities {
		ts := cv.byArea[cc.area.ID]
		head := headlineTarget(ts)
		bc := briefCityTargets{City: cc.City, Slug: cc.Slug}
		var kept []metrics.Target
		for i, t := range ts {
			if t.Kind == metrics.TargetNetZero || t.Kind == metrics.TargetCarbonNeutrality || &ts[i] == head {
				kept = append(kept, t)
			}
		}
		// A city with no target keeps its dated statements that it has
		// none: they are not missing data.
		if len(kept) == 0 {
			for _, t := range ts {
				if t.IsStatement() {
					kept = append(kept, t)
				}
			}
		}
		for _, t := range kept {
			tv := targetViewOf(loc, cat, t)
			// The scope of a target, not the arithmetic the page does.
			tv.Notes = nil
			if t.Sector != "" && !t.CoversWholeInventory() {
				tv.Notes = append(tv.Notes, loc.T("target.sector", "Sector", t.Sector))
			}
			if t.Gases != "" {
				tv.Notes = append(tv.Notes, loc.T("target.gases", "Gases", t.Gases))
			}
			bc.Targets = append(bc.Targets, tv)
			sources = append(sources, t.SourceID)
		}
		bc.More = len(ts) - len(kept)
		for _, l := range cc.Larger {
			bc.More += len(l.Targets)
		}
		bc.None = len(kept) == 0
		held = held || len(ts) > 0 || len(cc.Larger) > 0
		b.Cities = append(b.Cities, bc)
	}
	if !held {
		return nil, nil
	}
	if len(p.Sides[0].Cities) == 1 && len(p.Sides[1].Cities) == 1 {
		a, z := headlineTarget(cv.byArea[p.Sides[0].Cities[0].ID]), headlineTarget(cv.byArea[p.Sides[1].Cities[0].ID])
		if a != nil && z != nil {
			b.Compare = loc.T("brief.commit_compare", "Diffs", headlineDiffs(loc, a, z))
		}
	}
	return b, sources
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
		br := briefRow{Indicator: loc.IndicatorName(r.Indicator), Unit: loc.Unit(r.Indicator.Unit), Caveat: len(r.Warnings) > 0}
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
			br.Gap = gapText(loc, r.Gap, loc.Unit(r.Indicator.Unit))
			if r.Gap.Better > 0 {
				br.Better = pp.Sides[r.Gap.Better-1]
			}
		}
		b.Rows = append(b.Rows, br)
	}
	// The key charts: the overview across indicators and the trend of
	// the pair's headline indicator; where no headline indicator has
	// values on both sides, the first chart of the theme the page opens
	// on, as the printed page keeps (markKeyCharts).
	if pp.Overview != nil {
		b.Charts = append(b.Charts, pp.Overview)
	}
	trend := false
	if want, theme, ok := keyTrend(cat, cmp); ok {
		charts, err := themeCharts(loc, cat, cmp, theme)
		if err != nil {
			return err
		}
		for _, ch := range charts {
			if ch.ID == want {
				b.Charts, trend = append(b.Charts, ch), true
			}
		}
	}
	if !trend && len(pp.Charts) > 0 {
		b.Charts = append(b.Charts, pp.Charts[0])
	}
	// The commitments as the page shows them, at the pinned version on
	// a pinned brief (the request's context carries the pin).
	cv, _, err := s.pairCommitments(c, loc, cat, cmp)
	if err != nil {
		return err
	}
	var targetSources []int64
	b.Commitments, targetSources = briefCommitmentsOf(loc, cat, cmp.Pair, cv)
	sources.add(targetSources...)
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
