// Package metrics is the domain of twinmetrics: areas (cities and the
// territories around them), twin pairs, indicators, sources and
// observations, their storage in SQLite, the seed from published data,
// and the rules that choose and compare values.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jmoiron/sqlx"
	_ "github.com/mattn/go-sqlite3" // the SQLite driver, registered as "sqlite3"
)

// ErrNotFound is returned when a slug or code names nothing stored.
var ErrNotFound = errors.New("not found")

// Dialect names the engine a DB runs on.
type Dialect int

const (
	// SQLite is the embedded default: one database file.
	SQLite Dialect = iota
	// Postgres is PostgreSQL, shared by any number of instances.
	Postgres
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// DB holds the connection pools. On SQLite there are two: one writer
// connection, so that writers queue in Go instead of failing with
// SQLITE_BUSY, and a pool of readers that WAL lets run beside it. On
// PostgreSQL W and R are one pool and writers queue in the database
// (BeginWrite).
type DB struct {
	W       *sqlx.DB
	R       *sqlx.DB
	Path    string // the file, or the PostgreSQL URL without its password
	Dialect Dialect
}

// IsPostgresDSN reports whether dsn names a PostgreSQL database rather
// than an SQLite file.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// dsn builds a mattn/go-sqlite3 DSN with the pragmas the app relies on.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	// 2 MB of page cache per connection (five of them): the seeded
	// database is a few megabytes, and the server's memory stays small.
	q.Set("_cache_size", "-2000")
	if readOnly {
		q.Set("mode", "ro")
		q.Del("_txlock")
		q.Del("_journal_mode") // the writer set WAL; a read-only connection cannot

	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens the database dsn names: a postgres:// or postgresql:// URL
// is PostgreSQL, anything else the SQLite file at that path (created if
// needed). It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if IsPostgresDSN(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	}
	if err := ownerOnly(path); err != nil {
		return nil, err
	}
	w, err := sqlx.Open("sqlite3", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r, err := sqlx.Open("sqlite3", dsn(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	return &DB{W: w, R: r, Path: path}, nil
}

// ownerOnly creates the database file readable and writable by its
// owner only (it holds password, session and token hashes; SQLite gives
// the write-ahead log and shared-memory files the database's mode), and
// takes group and other permissions from an existing one and its
// companions.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return fmt.Errorf("make %s readable by its owner only: %w", p, err)
			}
		}
	}
	return nil
}

// Close runs PRAGMA optimize and closes both pools. Optimize may need
// the write lock: when another process holds it (the server publishing
// while `twinmetrics backup` ends), it is skipped rather than waited for
// up to the busy timeout.
func (db *DB) Close() error {
	if db.Dialect == Postgres {
		return db.W.Close()
	}
	if _, err := db.W.Exec("PRAGMA busy_timeout = 0"); err == nil {
		_, _ = db.W.Exec("PRAGMA optimize")
	}
	rerr := db.R.Close()
	werr := db.W.Close()
	return errors.Join(werr, rerr)
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.R.GetContext(ctx, &one, "SELECT 1")
}
