package dashboard

import (
	"context"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// perCapitaClimate are the indicators the overview compares on for a
// pair's low-carbon comparison: reported inventories per person, and
// any per-person CO2 a modelled dataset gives both sides.
var perCapitaClimate = []string{"ghg_per_capita", "ghg_basic_per_capita", "co2_per_capita"}

// lowCarbonView is what the overview says about a pair's low-carbon
// comparison: each comparison it can make, or exactly why none exists.
type lowCarbonView struct {
	Lines []lowCarbonLine
	None  string
}

type lowCarbonLine struct {
	What     string // "Commitments", "GHG per capita (reported)", "CO2 per capita (modelled: …)"
	Text     string
	Modelled bool
	Warnings []string
}

// lowCarbonData is what the overview reads once for every pair.
type lowCarbonData struct {
	targets map[int64][]metrics.Target
	data    *metrics.Dataset
	inds    []*metrics.Indicator
}

func (s *Server) loadLowCarbon(c echo.Context, ctx context.Context, cat *metrics.Catalogue) (*lowCarbonData, error) {
	ts, err := s.store.Targets(ctx, metrics.TargetFilter{})
	if err != nil {
		return nil, err
	}
	d := &lowCarbonData{targets: map[int64][]metrics.Target{}}
	var targetAreas []int64
	for _, t := range ts {
		d.targets[t.AreaID] = append(d.targets[t.AreaID], t)
		targetAreas = append(targetAreas, t.AreaID)
	}
	var ids []int64
	for _, code := range perCapitaClimate {
		if ind, err := cat.Indicator(code); err == nil {
			d.inds = append(d.inds, ind)
			ids = append(ids, ind.ID)
		}
	}
	dependOn(c).indicator(ids...)
	dependOn(c).area(targetAreas...)
	showsTargets(c)
	// The pairs' areas only, as for the headline comparison: the
	// overview reads what it shows, however many areas the database holds.
	obs, err := s.store.ObservationsFor(ctx, areaIDs(programmeAreas(cat)), ids)
	if err != nil {
		return nil, err
	}
	d.data = metrics.NewDataset(obs)
	return d, nil
}

// lowCarbonFor builds a pair's low-carbon comparison.
func lowCarbonFor(loc Locale, cat *metrics.Catalogue, d *lowCarbonData, p *metrics.Pair) lowCarbonView {
	var v lowCarbonView
	var lacks [2][]string

	// Commitments: each side's net-zero year or, failing that, its
	// headline reduction target, or its dated "No target".
	var commit [2]string
	for si, sd := range p.Sides {
		var parts []string
		for i := range sd.Cities {
			city := &sd.Cities[i]
			ts, owner := d.targets[city.ID], city
			if len(ts) == 0 {
				// A larger area's target (the Australian Capital
				// Territory's for Canberra), named as that area's.
				for _, big := range append(cat.Children(city.ID), cat.ContainedIn(city.ID)...) {
					if len(d.targets[big.ID]) > 0 && !cat.Merged(big.ID) {
						ts, owner = d.targets[big.ID], big
						break
					}
				}
			}
			if len(ts) == 0 {
				continue
			}
			name := loc.AreaName(city)
			if owner != city {
				name = loc.T("lowcarbon.larger_area", "City", loc.AreaName(city), "Area", loc.AreaName(owner))
			}
			t := overviewTarget(ts)
			parts = append(parts, name+": "+targetText(loc, cat, t)+statusSuffix(loc, t))
		}
		if len(parts) == 0 {
			lacks[si] = append(lacks[si], loc.T("lowcarbon.lacks_target"))
			continue
		}
		commit[si] = strings.Join(parts, "; ")
	}
	if commit[0] != "" && commit[1] != "" {
		v.Lines = append(v.Lines, lowCarbonLine{What: loc.T("lowcarbon.commitments"), Text: commit[0] + " · " + commit[1]})
	}

	// Per-capita emissions: reported on both sides, or modelled by one
	// dataset on both sides; a reported value is never set against a
	// modelled one here.
	var anyReported, anyModelled [2]bool
	for _, ind := range d.inds {
		var sides [2][]metrics.SideValue
		for si, sd := range p.Sides {
			for i := range sd.Cities {
				sv := metrics.LatestFor(cat, d.data, &sd.Cities[i], ind)
				if sv.Found && !cat.Merged(sv.Area.ID) {
					sides[si] = append(sides[si], sv)
					if sv.Point.Obs.Modelled() {
						anyModelled[si] = true
					} else {
						anyReported[si] = true
					}
				}
			}
		}
		if len(sides[0]) == 0 || len(sides[1]) == 0 {
			continue
		}
		a, b := sides[0][0], sides[1][0]
		ma, mb := a.Point.Obs.Modelled(), b.Point.Obs.Modelled()
		if ma != mb || (ma && a.Point.Obs.SourceCode.String != b.Point.Obs.SourceCode.String) {
			continue // never reported against modelled, nor two modelled datasets
		}
		what := loc.T("lowcarbon.reported", "Indicator", loc.IndicatorName(ind))
		if ma {
			what = loc.T("lowcarbon.modelled", "Indicator", loc.IndicatorName(ind), "Source", sourceName(a.Point.Obs))
		}
		line := lowCarbonLine{What: what, Modelled: ma,
			Text: sideText(loc, ind, a) + " · " + sideText(loc, ind, b)}
		line.Warnings = warningTexts(loc, metrics.CompareValues(ind, a, b).Warnings)
		v.Lines = append(v.Lines, line)
	}
	for si := range p.Sides {
		if !anyReported[si] {
			lacks[si] = append(lacks[si], loc.T("lowcarbon.lacks_inventory"))
		}
		if !anyModelled[si] {
			lacks[si] = append(lacks[si], loc.T("lowcarbon.lacks_modelled"))
		}
	}
	if len(v.Lines) == 0 {
		var why []string
		for si, sd := range p.Sides {
			if len(lacks[si]) > 0 {
				why = append(why, loc.T("lowcarbon.side_lacks", "Side", loc.SideLabel(sd), "Lacks", strings.Join(lacks[si], ", ")))
			}
		}
		v.None = loc.T("lowcarbon.none", "Why", strings.Join(why, "; "))
	}
	return v
}

func statusSuffix(loc Locale, t metrics.Target) string {
	if t.IsStatement() || t.Status == "" {
		return ""
	}
	return ", " + loc.T("target.status."+t.Status)
}

func sideText(loc Locale, ind *metrics.Indicator, sv metrics.SideValue) string {
	s := loc.AreaName(sv.City) + " " + loc.Num(sv.Point.Value) + " " + loc.Unit(ind.Unit) + " (" + strconv.Itoa(sv.Point.Year)
	if sv.OtherBoundary() {
		s += ", " + loc.AreaName(sv.Area)
	}
	return s + ")"
}

// overviewTarget is the one target the overview names for a city: its
// net-zero or neutrality year, else its headline reduction, else its
// latest target, else its dated "No target".
func overviewTarget(ts []metrics.Target) metrics.Target {
	ts = append([]metrics.Target(nil), ts...)
	metrics.SortTargets(ts)
	for _, t := range ts {
		if t.Kind == metrics.TargetNetZero || t.Kind == metrics.TargetCarbonNeutrality {
			return t
		}
	}
	if h := headlineTarget(ts); h != nil {
		return *h
	}
	best := ts[0]
	for _, t := range ts {
		if !t.IsStatement() && (best.IsStatement() || t.TargetYear.Int64 > best.TargetYear.Int64) {
			best = t
		}
	}
	return best
}
