package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// copyDBCommand moves the SQLite installation at --from into the
// PostgreSQL database at --to (or -db), and prints each table's rows.
func copyDBCommand(ctx context.Context, st settings, stdout io.Writer) error {
	to := st.to
	if to == "" && metrics.IsPostgresDSN(st.db) {
		to = st.db
	}
	if st.from == "" || to == "" {
		return &usageError{"twinmetrics copy-db needs --from FILE and --to postgres://… (or -db postgres://…)"}
	}
	if !metrics.IsPostgresDSN(to) {
		return errors.New("copy-db: --to takes a postgres:// or postgresql:// database URL")
	}
	tables, err := metrics.CopyToPostgres(ctx, st.from, to, metrics.CopyOptions{Replace: st.replace})
	if err != nil {
		return err
	}
	var total int64
	for _, t := range tables {
		fmt.Fprintf(stdout, "%-24s %10d rows\n", t.Name, t.Rows)
		total += t.Rows
	}
	fmt.Fprintf(stdout, "copied %s to %s: %d rows in %d tables, each table's count checked\n", st.from, metrics.Redacted(to), total, len(tables))
	return nil
}
