// Package testapp builds a complete twinmetrics for tests: a fresh
// database in a temporary folder, migrated and seeded from the real seed
// data, behind the real HTTP handler.
package testapp

import (
	"context"
	"github.com/twinmetrics/twinmetrics/ingest"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/twinmetrics/twinmetrics/dashboard"
	"github.com/twinmetrics/twinmetrics/data"
	"github.com/twinmetrics/twinmetrics/internal/testdb"
	"github.com/twinmetrics/twinmetrics/metrics"
	"github.com/twinmetrics/twinmetrics/templates"
)

// App is a seeded store and its HTTP handler.
type App struct {
	DB      *metrics.DB
	Store   *metrics.Store
	Uploads *ingest.Uploader
	Handler http.Handler
	// Dir is the temporary folder holding the database and the pending
	// uploads.
	Dir string
}

// Options change what New builds.
type Options struct {
	// Seed replaces the embedded seed files (nil: the real seed).
	Seed fs.FS
	// UploadsPerMinute is the per-address upload rate (0: 100000, so
	// that tests are not throttled).
	UploadsPerMinute int
	// NoSeed leaves the database empty but migrated.
	NoSeed bool
	// Limits replace the upload limits (zero: ingest.DefaultLimits).
	Limits ingest.Limits
	// Templates replace the embedded page templates (nil: the real ones).
	Templates fs.FS
	// Engine forces a database engine: "sqlite", or "postgres" (skipped
	// unless TWINMETRICS_TEST_PG is set); "" follows TWINMETRICS_TEST_PG.
	Engine string
}

// SeedCopy returns the real seed files as a map a test may change.
func SeedCopy(t testing.TB) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(data.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(data.Files, p)
		m[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Engines lists the engines a benchmark compares in one run: SQLite, and
// PostgreSQL when TWINMETRICS_TEST_PG is set.
func Engines() []string {
	if testdb.PG() {
		return []string{"sqlite", "postgres"}
	}
	return []string{"sqlite"}
}

// seedProfiles stores the shipped import profiles as the seed stores
// them: the uploader reads files with the approved profiles of the
// database.
func seedProfiles(ctx context.Context, s *metrics.Store) error {
	shipped, err := ingest.ShippedProfileRecords(data.Profiles, "profiles")
	if err != nil {
		return err
	}
	_, err = s.SeedImportProfiles(ctx, shipped, Fixed)
	return err
}

// Fixed is the clock tests run under.
var Fixed = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// New builds an App; everything is closed when the test ends.
func New(t testing.TB, o Options) *App {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	// The database: on PostgreSQL (TWINMETRICS_TEST_PG) a clone of one
	// seeded template; a test with a seed of its own seeds its clone of a
	// migrated one.
	level, seed := "app", fs.FS(nil)
	switch {
	case o.NoSeed:
		level = "app_empty"
	case o.Seed != nil:
		level, seed = "app_migrated", o.Seed
	}
	pg := testdb.PG()
	switch o.Engine {
	case "sqlite":
		pg = false
	case "postgres":
		pg = true
	}
	db := testdb.OpenOn(t, pg, level, setup(level))
	store, err := metrics.NewStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	if seed != nil {
		if _, err := store.Seed(ctx, seed); err != nil {
			t.Fatal(err)
		}
		if err := seedProfiles(ctx, store); err != nil {
			t.Fatal(err)
		}
	}
	return serve(t, db, store, dir, o)
}

// setup fills the database of a level: "app" is migrated and seeded
// from the real seed, "app_migrated" only migrated (its test seeds it),
// "app_empty" migrated with the import profiles and no data.
func setup(level string) testdb.Setup {
	return func(ctx context.Context, db *metrics.DB) error {
		if _, err := db.Migrate(ctx); err != nil {
			return err
		}
		if level == "app_migrated" {
			return nil
		}
		s, err := metrics.NewStore(ctx, db)
		if err != nil {
			return err
		}
		defer s.Close()
		if level == "app" {
			if _, err := s.Seed(ctx, data.Files); err != nil {
				return err
			}
		}
		return seedProfiles(ctx, s)
	}
}

// serve builds the uploader (its spool folder under dir) and the
// handler of an instance over store.
func serve(t testing.TB, db *metrics.DB, store *metrics.Store, dir string, o Options) *App {
	t.Helper()
	lim := o.Limits
	if lim.MaxBytes == 0 {
		lim = ingest.DefaultLimits
	}
	up, err := ingest.NewUploader(store, filepath.Join(dir, "uploads"), lim, func() time.Time { return Fixed })
	if err != nil {
		t.Fatal(err)
	}
	up.UseStoredProfiles()
	// Background checks must end before the database closes.
	t.Cleanup(up.Wait)
	if o.UploadsPerMinute == 0 {
		o.UploadsPerMinute = 100000
	}
	tpl := o.Templates
	if tpl == nil {
		tpl = templates.Files
	}
	h, err := dashboard.New(dashboard.Config{
		Store:     store,
		Uploads:   up,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Templates: tpl,
		Assets:    dashboard.AssetsFS(),
		Now:       func() time.Time { return Fixed },
		// Tests send files in quick succession; TestUploadRateLimit sets
		// its own.
		UploadsPerMinute: o.UploadsPerMinute,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &App{DB: db, Store: store, Uploads: up, Handler: h, Dir: dir}
}
