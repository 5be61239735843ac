package metrics

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jmoiron/sqlx"
)

// The commitments as they were at a data version (migrations/0026), kept
// as the values are (history.go): the current targets current since
// then, and the copies kept of the states that have ended since.

// keptTargets keeps the targets' states.
var keptTargets = keptTable{table: "targets", alias: "t", history: "target_history", idCol: "target_id",
	what: "targets' history", columns: []string{"area_id", "kind", "kind_as_printed", "role", "gases", "sector", "boundary",
		"base_year", "base_value", "base_value_as_printed", "target_year", "percent", "level", "level_as_printed", "bau_value",
		"intensity_unit", "status", "status_as_printed", "status_year", "year_set", "achieved_percent", "source_id",
		"report_year", "organisation", "source_url", "locator", "note", "upload_id", "valid_from"}}

// CloseTargets keeps the state of the current targets that cond
// selects (a condition on targets t, with ? parameters), before the
// caller retires them, inside its transaction: a page pinned to an
// earlier version still shows them.
func CloseTargets(ctx context.Context, tx *sqlx.Tx, cond string, args ...any) error {
	return keptTargets.close(ctx, tx, cond, args...)
}

// TargetsKeptFrom is the first data version whose commitments can be
// shown again (the one migration 0026 found). A read pinned to an
// earlier version, whose values are kept, shows the commitments of this
// one.
func (s *Store) TargetsKeptFrom(ctx context.Context) (int64, error) {
	var f string
	if err := s.q.TargetHistoryFrom.GetContext(ctx, &f); err != nil {
		return 0, fmt.Errorf("targets kept from: %w", err)
	}
	v, _ := strconv.ParseInt(f, 10, 64)
	return v, nil
}

// TargetsVersion is the data version whose commitments a read at ctx
// shows: 0 for the current ones; for a pinned read its version, or the
// first version whose commitments were kept when it is earlier.
func (s *Store) TargetsVersion(ctx context.Context) (int64, error) {
	v := PinnedVersion(ctx)
	if v == 0 {
		return 0, nil
	}
	from, err := s.TargetsKeptFrom(ctx)
	if err != nil {
		return 0, err
	}
	return max(v, from), nil
}
