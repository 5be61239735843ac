package metrics

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/jmoiron/sqlx"
)

//go:embed migrations
var migrationFiles embed.FS

// migration is one numbered step of the schema.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// loadMigrations reads the migrations for dialect d. Each number has one
// file, migrations/NNNN_name.sql, written for both engines: a template
// whose {{if pg}}…{{else}}…{{end}}, {{bool}} and {{false}} say where they
// differ, and whose SQLite column types PostgreSQL reads as its own
// (pgTypes). Where the SQL has nothing in common, migrations/postgres/
// holds the PostgreSQL file under the same name.
func loadMigrations(d Dialect) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %q must start with a number and an underscore", name)
		}
		path := "migrations/" + name
		if d == Postgres {
			if _, err := fs.Stat(migrationFiles, "migrations/postgres/"+name); err == nil {
				path = "migrations/postgres/" + name
			}
		}
		b, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		sql, err := renderSQL(name, string(b), d)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{Version: v, Name: name, SQL: sql})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	// Numbers are reserved ahead for work in progress, so there may be
	// gaps; each number is used once, and a database gets every
	// migration it lacks, in order, not only those above its highest.
	for i, m := range ms {
		if m.Version < 1 || (i > 0 && m.Version == ms[i-1].Version) {
			return nil, fmt.Errorf("migration %s: each migration needs its own number from 1", m.Name)
		}
	}
	return ms, nil
}

// sqlFuncs are the template helpers of SQL written for both engines.
func sqlFuncs(d Dialect) template.FuncMap {
	pg := d == Postgres
	pick := func(sqlite, postgres string) func() string {
		return func() string {
			if pg {
				return postgres
			}
			return sqlite
		}
	}
	return template.FuncMap{
		"pg":     func() bool { return pg },
		"sqlite": func() bool { return !pg },
		"bool":   pick("INTEGER", "boolean"),
		"false":  pick("0", "false"),
		"true":   pick("1", "true"),
		"ids":    func(param string) string { return d.ids(param) },
		"texts":  func(param string) string { return d.texts(param) },
		"json":   func(param string) string { return d.json(param) },
		"list":   func(xs ...string) []string { return xs },
	}
}

// ids is a subquery of the integers in the JSON array param (a `?` or a
// `:name` bound to a JSON text such as "[3,7]"), for `x IN (…)`.
//
// On PostgreSQL the JSON list of numbers is read as an array literal
// ("[3,7]" becomes '{3,7}') and unnested: the planner then knows how
// many ids there are and reads a few areas through their index. From
// jsonb_array_elements_text it would assume 100 ids, whatever their
// number, and scan the whole observations table for one city (375 ms
// against 0.1 ms at 1.1M values).
func (d Dialect) ids(param string) string {
	if d == Postgres {
		return "SELECT unnest(CAST(translate(CAST(" + param + " AS text), '[]', '{}') AS bigint[]))"
	}
	return "SELECT CAST(value AS INTEGER) FROM json_each(" + param + ")"
}

// texts is a subquery of the strings in the JSON array param.
func (d Dialect) texts(param string) string {
	if d == Postgres {
		return "SELECT value FROM jsonb_array_elements_text(" + d.json(param) + ") AS value"
	}
	return "SELECT value FROM json_each(" + param + ")"
}

// json is the parameter param typed as JSON where the engine must know
// (PostgreSQL cannot guess the type of `? IS NULL`).
func (d Dialect) json(param string) string {
	if d == Postgres {
		return "CAST(" + param + " AS jsonb)"
	}
	return param
}

var (
	pgIdentity = regexp.MustCompile(`(?m)^(\s*id\s+)INTEGER(\s+)PRIMARY KEY`)
	pgInteger  = regexp.MustCompile(`\bINTEGER\b`)
	pgReal     = regexp.MustCompile(`\bREAL\b`)
	pgText     = regexp.MustCompile(`(?m)(^\s*\w+\s+|ADD COLUMN \w+ )TEXT\b`)
)

// renderSQL renders a migration for dialect d. On PostgreSQL, SQLite's
// column types become their counterparts: an INTEGER PRIMARY KEY id an
// identity that explicit ids may still be given to, INTEGER bigint (so
// keys and the columns that point at them agree), REAL double precision
// (PostgreSQL's real is 4 bytes), and a TEXT column compares and sorts
// by bytes (COLLATE "C") as SQLite's BINARY does, whatever the
// database's locale.
func renderSQL(name, src string, d Dialect) (string, error) {
	s, err := renderTemplate(name, src, d)
	if err != nil {
		return "", fmt.Errorf("migration %w", err)
	}
	if d == Postgres {
		s = pgIdentity.ReplaceAllString(s, "${1}bigint${2}GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
		s = pgInteger.ReplaceAllString(s, "bigint")
		s = pgReal.ReplaceAllString(s, "double precision")
		s = pgText.ReplaceAllString(s, `${1}text COLLATE "C"`)
	}
	return s, nil
}

// renderTemplate renders SQL written for both engines (a migration or a
// query file) for dialect d.
func renderTemplate(name, src string, d Dialect) (string, error) {
	t, err := template.New(name).Funcs(sqlFuncs(d)).Parse(src)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, nil); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return b.String(), nil
}

// migrator is what migrations run on: the writer pool, or on PostgreSQL
// the one connection that holds the migration lock.
type migrator interface {
	sqlx.ExecerContext
	sqlx.QueryerContext
}

// SchemaVersion reports the version the database is at and the version
// this binary expects.
func (db *DB) SchemaVersion(ctx context.Context) (have, want int, err error) {
	return db.schemaVersion(ctx, db.W)
}

func (db *DB) schemaVersion(ctx context.Context, q migrator) (have, want int, err error) {
	ms, err := loadMigrations(db.Dialect)
	if err != nil {
		return 0, 0, err
	}
	if _, err := q.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return 0, 0, fmt.Errorf("schema_migrations: %w", err)
	}
	if err := sqlx.GetContext(ctx, q, &have, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"); err != nil {
		return 0, 0, err
	}
	if len(ms) > 0 {
		want = ms[len(ms)-1].Version
	}
	return have, want, nil
}

// Migrate applies every migration the database lacks, each in its own
// transaction together with the row that records it. On PostgreSQL it
// holds a lock while it does, so that instances starting together
// migrate one after the other, the later ones finding nothing to do.
func (db *DB) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := loadMigrations(db.Dialect)
	if err != nil {
		return 0, err
	}
	conn, err := db.W.Connx(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if db.Dialect == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", int64(pgMigrateLock)); err != nil {
			return 0, fmt.Errorf("take the migration lock: %w", err)
		}
		defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(?)", int64(pgMigrateLock)) //nolint:errcheck // the lock also ends with the connection
	}
	have, want, err := db.schemaVersion(ctx, conn)
	if err != nil {
		return 0, err
	}
	if have > want {
		return 0, fmt.Errorf("the database is at schema version %d, newer than this program (%d): use a newer twinmetrics", have, want)
	}
	var done []int
	if err := conn.SelectContext(ctx, &done, "SELECT version FROM schema_migrations"); err != nil {
		return 0, err
	}
	applied0 := make(map[int]bool, len(done))
	for _, v := range done {
		applied0[v] = true
	}
	for _, m := range ms {
		if applied0[m.Version] {
			continue
		}
		tx, err := conn.BeginTxx(ctx, nil)
		if err != nil {
			return applied, err
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.Version, m.Name, Timestamp(time.Now())); err != nil {
			tx.Rollback()
			return applied, err
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		applied++
	}
	return applied, nil
}

// CheckSchema refuses a database whose schema is older than this
// program, and says how to bring it up to date.
func (db *DB) CheckSchema(ctx context.Context) error {
	have, want, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if have == want {
		// The highest is there; a lower one may still be missing.
		var n int
		if err := db.W.GetContext(ctx, &n, "SELECT COUNT(*) FROM schema_migrations"); err != nil {
			return err
		}
		if ms, err := loadMigrations(db.Dialect); err == nil && n < len(ms) {
			return fmt.Errorf("the database %s lacks %d of this program's migrations: run `twinmetrics migrate -db %s`", db.Path, len(ms)-n, db.Path)
		}
	}
	if have != want {
		return fmt.Errorf("the database %s is at schema version %d but this program needs %d: run `twinmetrics migrate -db %s`", db.Path, have, want, db.Path)
	}
	return nil
}
