package metrics

import "strings"

// PasswordChecks reports how many argon2 computations the store has run
// and the most that ran at once.
func (s *Store) PasswordChecks() (total, peak int64) { return s.pw.checks.Load(), s.pw.peak.Load() }

// WritePathSQL exposes the per-cell write statements to the plan test.
var WritePathSQL = writePathSQL

var CloseSQL = keptObservations.closeSQL

// PinnedObservationsSQL is the pinned read of ObservationsFor… (for the
// plan tests), with its filter on areas, indicators or both.
func PinnedObservationsSQL(d Dialect, areas, indicators bool) string {
	sel := Selection{}
	if areas {
		sel.Areas = []int64{}
	}
	if indicators {
		sel.Indicators = []int64{}
	}
	conds, _ := sel.placeConds(d)
	return pinnedObservationsSQL(strings.Join(conds, " AND "))
}

// IDListSQL is the subquery of the ids in a JSON list bound to param.
func IDListSQL(d Dialect, param string) string { return d.ids(param) }
