package metrics

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// RebuildAll exposes the full recomputation to the tests, which compare
// what the incremental one keeps with it.
func RebuildAll(ctx context.Context, tx *sqlx.Tx) (int, error) { return rebuildAll(ctx, tx) }

// WritePathSQL exposes the per-cell write statements to the plan test.
var WritePathSQL = writePathSQL
