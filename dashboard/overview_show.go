package dashboard

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

type overviewPage struct {
	Groups []pairGroup
	// Picker chooses any two areas to compare.
	Picker *comparePicker
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
	var ids []int64
	for _, ind := range metrics.HeadlineIndicators(cat) {
		ids = append(ids, ind.ID)
	}
	dependOn(c).indicator(ids...)
	// The pairs' areas only: the overview reads what it shows, however
	// many other areas the database holds.
	obs, err := s.store.ObservationsFor(ctx, areaIDs(programmeAreas(cat)), ids)
	if err != nil {
		return err
	}
	data := metrics.NewDataset(obs)
	lc, err := s.loadLowCarbon(c, ctx, cat)
	if err != nil {
		return err
	}
	v := s.view(c, "overview")
	page := &overviewPage{Picker: newComparePicker(v.Loc, cat, "", "", "")}
	idx := map[string]int{}
	for _, p := range cat.Pairs {
		card := pairCard{Pair: p, Title: v.Loc.PairTitle(p), LowCarbon: lowCarbonFor(v.Loc, cat, lc, p)}
		if row, ok := metrics.Featured(cat, data, p); ok {
			card.Indicator = row.Indicator
			for si := range row.Sides {
				for _, sv := range row.Sides[si] {
					card.Sides[si] = append(card.Sides[si], pointView(v.Loc, cat, row.Indicator, sv))
				}
			}
			if row.Gap != nil {
				card.Gap = gapText(v.Loc, row.Gap, v.Loc.Unit(row.Indicator.Unit))
				if row.Gap.Better > 0 {
					card.Better = v.Loc.SideLabel(p.Sides[row.Gap.Better-1])
				}
			}
			card.Warnings = warningTexts(v.Loc, row.Warnings)
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
