package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jmoiron/sqlx"
)

// CopyOptions are the choices of a copy from SQLite to PostgreSQL.
type CopyOptions struct {
	// Replace empties a target that already holds data. Without it, a
	// target with any row of its own is refused.
	Replace bool
}

// CopiedTable is one table a copy moved, with its row count, read back
// from PostgreSQL before the commit.
type CopiedTable struct {
	Name string
	Rows int64
}

// CopyToPostgres moves a whole SQLite installation (the file at from)
// into the PostgreSQL database at to: every record, the upload history,
// accounts, sessions and tokens, with the same ids. The target is
// migrated first; the tables are copied in the order their foreign keys
// need, each in id order with COPY, in one transaction that also sets
// every identity past the largest id copied and compares each table's
// row count with the source's. Anything wrong leaves the target as it
// was.
//
// The SQLite database must be at this program's schema version and must
// not be in use (stop the server: what it wrote after the copy would be
// lost). Pending uploads, which live in files beside the database until
// they are published or discarded, are not moved.
func CopyToPostgres(ctx context.Context, from, to string, opt CopyOptions) ([]CopiedTable, error) {
	if IsPostgresDSN(from) {
		return nil, errors.New("copy-db: --from takes an SQLite database file")
	}
	if !IsPostgresDSN(to) {
		return nil, errors.New("copy-db: --to takes a postgres:// database URL")
	}
	if _, err := os.Stat(from); err != nil {
		return nil, fmt.Errorf("copy-db: %w", err)
	}
	unlock, err := LockDatabase(from, true)
	if errors.Is(err, ErrDatabaseInUse) {
		return nil, fmt.Errorf("copy-db: %s is open by a running twinmetrics (the server, an import or a backup): stop it first, so that nothing written after the copy is left behind", from)
	}
	if err != nil {
		return nil, fmt.Errorf("copy-db: %w", err)
	}
	defer unlock()
	src, err := Open(ctx, from)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	have, want, err := src.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	if have != want {
		return nil, fmt.Errorf("copy-db: %s is at schema version %d, this program at %d: run twinmetrics -db %s migrate first", from, have, want, from)
	}
	dst, err := Open(ctx, to)
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	if _, err := dst.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("copy-db: migrate %s: %w", dst.Path, err)
	}
	tables, err := sqliteCopyPlan(ctx, src)
	if err != nil {
		return nil, err
	}
	srcTx, err := src.R.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer srcTx.Rollback()
	conn, err := dst.W.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var copied []CopiedTable
	err = conn.Raw(func(dc any) error {
		pc, err := PgxConn(dc)
		if err != nil {
			return err
		}
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx))
		if copied, err = copyTables(ctx, srcTx, tx, tables, opt); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("copy-db (nothing was written to %s): %w", dst.Path, err)
	}
	// Fresh statistics, so that the planner knows the tables' sizes from
	// the first request, and a vacuum, which marks the copied pages
	// all-visible: counts and lookups are then answered from the indexes
	// alone. With ANALYZE only, the first /data?indicator=… on 1.1M
	// values read 1,449 table pages to count 11,627 rows (141 ms; 12 ms
	// after the vacuum), until autovacuum came by.
	if _, err := dst.W.ExecContext(ctx, "VACUUM (ANALYZE)"); err != nil {
		return nil, fmt.Errorf("copy-db: vacuum: %w", err)
	}
	return copied, nil
}

// copyTable is one SQLite table to copy: its columns and the columns it
// is read in order of.
type copyTable struct {
	name    string
	cols    []string
	orderBy []string
	deps    []string // the tables its foreign keys point at
}

// sqliteCopyPlan lists the source's tables (its migration record aside)
// in an order where each comes after the tables it refers to.
func sqliteCopyPlan(ctx context.Context, src *DB) ([]copyTable, error) {
	var names []string
	if err := src.R.SelectContext(ctx, &names, `SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`); err != nil {
		return nil, err
	}
	byName := map[string]*copyTable{}
	for _, n := range names {
		t := &copyTable{name: n}
		var info []struct {
			CID     int            `db:"cid"`
			Name    string         `db:"name"`
			Type    string         `db:"type"`
			NotNull bool           `db:"notnull"`
			Default sql.NullString `db:"dflt_value"`
			PK      int            `db:"pk"`
		}
		if err := src.R.SelectContext(ctx, &info, "SELECT * FROM pragma_table_info(?)", n); err != nil {
			return nil, err
		}
		pk := map[int]string{}
		for _, c := range info {
			t.cols = append(t.cols, c.Name)
			if c.PK > 0 {
				pk[c.PK] = c.Name
			}
		}
		for i := 1; i <= len(pk); i++ {
			t.orderBy = append(t.orderBy, pk[i])
		}
		if len(t.orderBy) == 0 {
			t.orderBy = []string{"rowid"}
		}
		var refs []string
		if err := src.R.SelectContext(ctx, &refs, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, n); err != nil {
			return nil, err
		}
		for _, r := range refs {
			// A table's references to itself are checked at the end of
			// its one COPY statement, in whatever order its rows come.
			if r != n {
				t.deps = append(t.deps, r)
			}
		}
		byName[n] = t
	}
	var order []copyTable
	done := map[string]bool{}
	for len(order) < len(names) {
		progress := false
		for _, n := range names {
			t := byName[n]
			if done[n] {
				continue
			}
			ready := true
			for _, d := range t.deps {
				if _, known := byName[d]; known && !done[d] {
					ready = false
				}
			}
			if ready {
				order = append(order, *t)
				done[n] = true
				progress = true
			}
		}
		if !progress {
			return nil, errors.New("copy-db: the tables' foreign keys form a cycle")
		}
	}
	return order, nil
}

// pgColumn is a column of the target table.
type pgColumn struct {
	name, typ string
}

// copyTables copies every table inside the target transaction tx, then
// sets the identities and compares the counts.
func copyTables(ctx context.Context, src *sqlx.Tx, tx pgx.Tx, tables []copyTable, opt CopyOptions) ([]CopiedTable, error) {
	// Writers of every instance queue behind this copy.
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(pgWriteLock)); err != nil {
		return nil, err
	}
	pgCols := map[string][]pgColumn{}
	rows, err := tx.Query(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var t string
		var c pgColumn
		if err := rows.Scan(&t, &c.name, &c.typ); err != nil {
			return nil, err
		}
		pgCols[t] = append(pgCols[t], c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The tables the copy fills must be empty: only the rows the
	// target's migrations wrote (meta's counters, which the copy
	// replaces) are allowed. Tables PostgreSQL alone has (its shared
	// state between instances) are left as they are.
	var full []string
	for _, ct := range tables {
		t := ct.name
		if t == "meta" || len(pgCols[t]) == 0 || isView(ctx, tx, t) {
			continue
		}
		var any bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+pgx.Identifier{t}.Sanitize()+")").Scan(&any); err != nil {
			return nil, err
		}
		if any {
			full = append(full, t)
		}
	}
	sort.Strings(full)
	if len(full) > 0 && !opt.Replace {
		return nil, fmt.Errorf("the target already holds data (in %s): copy into a new, empty database, or pass --replace to delete what it holds", strings.Join(full, ", "))
	}
	if len(full) > 0 {
		ids := make([]string, len(full))
		for i, t := range full {
			ids[i] = pgx.Identifier{t}.Sanitize()
		}
		if _, err := tx.Exec(ctx, "TRUNCATE "+strings.Join(ids, ", ")+" CASCADE"); err != nil {
			return nil, fmt.Errorf("empty the target: %w", err)
		}
	}
	// meta's counters, which the target's migrations wrote, give way to
	// the source's.
	var metaKeys []string
	if err := src.SelectContext(ctx, &metaKeys, "SELECT key FROM meta"); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, "DELETE FROM meta WHERE key = ANY($1)", metaKeys); err != nil {
		return nil, err
	}
	var out []CopiedTable
	for _, t := range tables {
		n, err := copyTableRows(ctx, src, tx, t, pgCols[t.name])
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t.name, err)
		}
		out = append(out, CopiedTable{Name: t.name, Rows: n})
	}
	if err := setIdentities(ctx, tx); err != nil {
		return nil, err
	}
	for _, c := range out {
		var got int64
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{c.Name}.Sanitize()).Scan(&got); err != nil {
			return nil, err
		}
		if got != c.Rows {
			return nil, fmt.Errorf("table %s: %d rows in SQLite, %d in PostgreSQL after the copy", c.Name, c.Rows, got)
		}
	}
	return out, nil
}

// isView reports whether name is a view of the target's schema.
func isView(ctx context.Context, tx pgx.Tx, name string) bool {
	var v bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.views
		WHERE table_schema = current_schema() AND table_name = $1)`, name).Scan(&v)
	return err == nil && v
}

// copyTableRows streams one table from SQLite into PostgreSQL with COPY
// and returns the source's row count.
func copyTableRows(ctx context.Context, src *sqlx.Tx, tx pgx.Tx, t copyTable, cols []pgColumn) (int64, error) {
	var want int64
	if err := src.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteSQLite(t.name)).Scan(&want); err != nil {
		return 0, err
	}
	if len(cols) == 0 {
		if want == 0 {
			return 0, nil
		}
		return 0, errors.New("has no counterpart in the PostgreSQL schema")
	}
	types := map[string]string{}
	for _, c := range cols {
		types[c.name] = c.typ
	}
	sel := make([]string, len(t.cols))
	for i, c := range t.cols {
		if _, ok := types[c]; !ok {
			return 0, fmt.Errorf("column %s has no counterpart in the PostgreSQL schema", c)
		}
		sel[i] = quoteSQLite(c)
	}
	order := make([]string, len(t.orderBy))
	for i, c := range t.orderBy {
		order[i] = quoteSQLite(c)
	}
	rows, err := src.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+quoteSQLite(t.name)+" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	s := &sqliteRows{rows: rows, cols: t.cols, types: types, vals: make([]any, len(t.cols))}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, s)
	if err != nil {
		if s.err != nil {
			return 0, s.err
		}
		return 0, err
	}
	if n != want {
		return 0, fmt.Errorf("%d rows read, %d counted", n, want)
	}
	return want, nil
}

// quoteSQLite quotes an identifier for SQLite.
func quoteSQLite(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// sqliteRows feeds COPY from an SQLite result, turning each value into
// what the PostgreSQL column takes (SQLite's 0/1 into a boolean, an
// integer into a double).
type sqliteRows struct {
	rows  *sql.Rows
	cols  []string
	types map[string]string
	vals  []any
	line  int64
	err   error
}

func (s *sqliteRows) Next() bool {
	if !s.rows.Next() {
		return false
	}
	s.line++
	ptrs := make([]any, len(s.vals))
	raw := make([]any, len(s.vals))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := s.rows.Scan(ptrs...); err != nil {
		s.err = err
		return false
	}
	for i, v := range raw {
		c, err := pgValue(v, s.types[s.cols[i]])
		if err != nil {
			s.err = fmt.Errorf("row %d, column %s: %w", s.line, s.cols[i], err)
			return false
		}
		s.vals[i] = c
	}
	return true
}

func (s *sqliteRows) Values() ([]any, error) { return s.vals, nil }

func (s *sqliteRows) Err() error {
	if s.err != nil {
		return s.err
	}
	return s.rows.Err()
}

// parseText reads a value SQLite holds as text for a column of another
// type; what names what it should have been ("a number").
func parseText[T any](x string, parse func(string) (T, error), what string) (any, error) {
	v, err := parse(x)
	if err != nil {
		return nil, fmt.Errorf("%q is not %s", x, what)
	}
	return v, nil
}

// pgValue converts one SQLite value for a PostgreSQL column of type typ
// (information_schema's data_type).
func pgValue(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "boolean":
		switch x := v.(type) {
		case int64:
			return x != 0, nil
		case bool:
			return x, nil
		case string:
			return parseText(x, strconv.ParseBool, "a boolean")
		}
	case "smallint", "integer", "bigint":
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			if x == float64(int64(x)) {
				return int64(x), nil
			}
			return nil, fmt.Errorf("%v is not a whole number", x)
		case string:
			return parseText(x, func(x string) (int64, error) { return strconv.ParseInt(x, 10, 64) }, "a whole number")
		}
	case "double precision", "real", "numeric":
		switch x := v.(type) {
		case int64:
			return float64(x), nil
		case float64:
			return x, nil
		case string:
			return parseText(x, func(x string) (float64, error) { return strconv.ParseFloat(x, 64) }, "a number")
		}
	case "text", "character varying", "character":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		}
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	default:
		return v, nil
	}
	return nil, fmt.Errorf("a %T cannot go into a %s column", v, typ)
}

// setIdentities sets every identity or serial column's sequence past the
// largest id of its table, so that the next row the application adds
// gets a new id.
func setIdentities(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')
		ORDER BY table_name`)
	if err != nil {
		return err
	}
	type col struct{ table, name string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.name); err != nil {
			return err
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range cols {
		t, n := pgx.Identifier{c.table}.Sanitize(), pgx.Identifier{c.name}.Sanitize()
		if _, err := tx.Exec(ctx, "SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max("+n+") FROM "+t+"), 0) + 1, false)",
			t, c.name); err != nil {
			return fmt.Errorf("set the next id of %s: %w", c.table, err)
		}
	}
	return nil
}
