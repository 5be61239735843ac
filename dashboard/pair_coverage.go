package dashboard

import (
	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// leadView opens a pair page with what it can and cannot compare: for
// each theme, how many indicators both sides have, one side only, or
// neither, and of those both have, how many are reported, modelled, or
// reported on one side against modelled on the other.
type leadView struct {
	Themes      []leadTheme
	Commitments string
}

type leadTheme struct {
	Theme              string
	Both, One, None    int
	Reported, Modelled int
	Mixed              int // reported against modelled: warned in the scorecard
	TwoModels          int // modelled by two different datasets: warned too
	OneSides           []string
}

func leadFor(loc Locale, cmp *metrics.Comparison, cv *commitmentsView) *leadView {
	lv := &leadView{}
	rows := map[int64]metrics.ScoreRow{}
	for _, r := range cmp.Rows {
		rows[r.Indicator.ID] = r
	}
	for _, t := range metrics.Themes {
		if t == "context" {
			continue
		}
		lt := leadTheme{Theme: t}
		for _, ind := range cmp.Catalogue.ThemeIndicators(t) {
			if ind.ContextOfID.Valid {
				continue
			}
			r, ok := rows[ind.ID]
			switch {
			case !ok || !r.AnyFound():
				lt.None++
			case r.Comparable():
				lt.Both++
				var m, n bool
				datasets := map[string]bool{}
				for _, sd := range r.Sides {
					for _, v := range sd {
						if v.Found && v.Point.Obs.Modelled() {
							m = true
							datasets[v.Point.Obs.SourceCode.String] = true
						} else if v.Found {
							n = true
						}
					}
				}
				switch {
				case m && n:
					lt.Mixed++
				case m && len(datasets) > 1:
					lt.TwoModels++
				case m:
					lt.Modelled++
				default:
					lt.Reported++
				}
			default:
				lt.One++
			}
		}
		lv.Themes = append(lv.Themes, lt)
	}
	if cv != nil {
		var with, without []string
		for _, c := range cv.Cities {
			if hasCommitment(c) {
				with = append(with, c.City)
			} else {
				without = append(without, c.City)
			}
		}
		switch {
		case len(without) == 0:
			lv.Commitments = loc.T("lead.commitments_all")
		case len(with) == 0:
			lv.Commitments = loc.T("lead.commitments_none")
		default:
			lv.Commitments = loc.T("lead.commitments_some", "With", joinNames(loc, with), "Without", joinNames(loc, without))
		}
	}
	return lv
}

// hasCommitment reports whether a city has a target of its own (a "No
// target" statement is not one).
func hasCommitment(c cityCommitments) bool {
	for _, t := range c.Own.Targets {
		if !t.Statement {
			return true
		}
	}
	return false
}

func joinNames(loc Locale, names []string) string {
	out := ""
	for i, n := range names {
		if i > 0 {
			out += ", "
		}
		out += n
	}
	return out
}

// pairCommitments builds the commitments and the leading coverage of a
// pair page.
func (s *Server) pairCommitments(c echo.Context, loc Locale, cat *metrics.Catalogue, cmp *metrics.Comparison) (*commitmentsView, *leadView, error) {
	var cities []*metrics.Area
	for i := range cmp.Pair.Sides {
		for j := range cmp.Pair.Sides[i].Cities {
			cities = append(cities, &cmp.Pair.Sides[i].Cities[j])
		}
	}
	cv, ids, err := commitmentsFor(c.Request().Context(), s.store, loc, cat, cities, cmp.Data)
	if err != nil {
		return nil, nil, err
	}
	dependOn(c).area(ids...)
	showsTargets(c)
	cv.Compare = compareSides(loc, cat, cmp.Pair, cv.byArea)
	return cv, leadFor(loc, cmp, cv), nil
}
