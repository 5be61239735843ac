package metrics

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered step of the schema.
type migration struct {
	Version int
	Name    string
	SQL     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %q must start with a number and an underscore", name)
		}
		b, err := migrationFiles.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{Version: v, Name: name, SQL: string(b)})
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

// SchemaVersion reports the version the database is at and the version
// this binary expects.
func (db *DB) SchemaVersion(ctx context.Context) (have, want int, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, 0, err
	}
	if _, err := db.W.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return 0, 0, fmt.Errorf("schema_migrations: %w", err)
	}
	if err := db.W.GetContext(ctx, &have, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"); err != nil {
		return 0, 0, err
	}
	if len(ms) > 0 {
		want = ms[len(ms)-1].Version
	}
	return have, want, nil
}

// Migrate applies every migration the database lacks, each in its own
// transaction together with the row that records it.
func (db *DB) Migrate(ctx context.Context) (applied int, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return 0, err
	}
	have, want, err := db.SchemaVersion(ctx)
	if err != nil {
		return 0, err
	}
	if have > want {
		return 0, fmt.Errorf("the database is at schema version %d, newer than this program (%d): use a newer twinmetrics", have, want)
	}
	var done []int
	if err := db.W.SelectContext(ctx, &done, "SELECT version FROM schema_migrations"); err != nil {
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
		tx, err := db.W.BeginTxx(ctx, nil)
		if err != nil {
			return applied, err
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)); err != nil {
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
		if ms, err := loadMigrations(); err == nil && n < len(ms) {
			return fmt.Errorf("the database %s lacks %d of this program's migrations: run `twinmetrics migrate -db %s`", db.Path, len(ms)-n, db.Path)
		}
	}
	if have != want {
		return fmt.Errorf("the database %s is at schema version %d but this program needs %d: run `twinmetrics migrate -db %s`", db.Path, have, want, db.Path)
	}
	return nil
}
