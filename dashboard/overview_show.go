package dashboard

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// headlineCodes are the indicators a pair's headline comparison is drawn
// from, in order of preference: low-carbon first, then air quality.
var headlineCodes = []string{"ghg_per_capita", "final_energy_per_capita", "pm25_annual_mean", "pm10_annual_mean", "no2_annual_mean"}

type overviewPage struct {
	Groups []pairGroup
}

type pairGroup struct {
	Country string
	Pairs   []pairCard
}

type pairCard struct {
	Pair      *metrics.Pair
	Title     string
	Indicator *metrics.Indicator
	Sides     [2][]valueView
	Gap       string
	Better    string
	Warnings  []string
	// LowCarbon is the pair's low-carbon comparison (overview_lowcarbon.go).
	LowCarbon lowCarbonView
}

// showOverview lists the programme pairs by programme country, each with
// one headline comparison.
func (s *Server) showOverview(c echo.Context) error {
	ctx := c.Request().Context()
	cat, err := s.store.Catalogue(ctx)
	if err != nil {
		return err
	}
	var inds []*metrics.Indicator
	var ids []int64
	for _, code := range headlineCodes {
		if ind, err := cat.Indicator(code); err == nil {
			inds = append(inds, ind)
			ids = append(ids, ind.ID)
		}
	}
	dependOn(c).indicator(ids...)
	obs, err := s.store.ObservationsForIndicators(ctx, ids)
	if err != nil {
		return err
	}
	data := metrics.NewDataset(obs)
	lc, err := s.loadLowCarbon(c, ctx, cat)
	if err != nil {
		return err
	}
	v := s.view(c, "overview")
	page := &overviewPage{}
	idx := map[string]int{}
	for _, p := range cat.Pairs {
		card := pairCard{Pair: p, Title: v.Loc.PairTitle(p), LowCarbon: lowCarbonFor(v.Loc, cat, lc, p)}
		for _, ind := range inds {
			var sides [2][]metrics.SideValue
			ok := true
			for si, sd := range p.Sides {
				found := false
				for i := range sd.Cities {
					sv := metrics.LatestFor(cat, data, &sd.Cities[i], ind)
					found = found || sv.Found
					sides[si] = append(sides[si], sv)
				}
				ok = ok && found
			}
			if !ok {
				continue
			}
			card.Indicator = ind
			row := metrics.ScoreRow{Indicator: ind, Sides: sides}
			for si := range sides {
				for _, sv := range sides[si] {
					card.Sides[si] = append(card.Sides[si], pointView(v.Loc, cat, ind, sv))
				}
			}
			if a, okA := row.Single(0); okA {
				if b, okB := row.Single(1); okB {
					g := metrics.CompareValues(ind, a, b)
					card.Gap = gapText(v.Loc, g.Gap, ind.UnitLabel())
					if g.Gap.Better > 0 {
						card.Better = v.Loc.SideLabel(p.Sides[g.Gap.Better-1])
					}
					card.Warnings = warningTexts(v.Loc, g.Warnings)
				}
			}
			break
		}
		i, ok := idx[p.ProgrammeCountry]
		if !ok {
			i = len(page.Groups)
			idx[p.ProgrammeCountry] = i
			page.Groups = append(page.Groups, pairGroup{Country: p.ProgrammeCountry})
		}
		page.Groups[i].Pairs = append(page.Groups[i].Pairs, card)
	}
	v.Title = v.Loc.T("overview.title")
	v.Data = page
	return s.render(c, http.StatusOK, "overview", v)
}
