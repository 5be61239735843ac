//go:build unix

package metrics_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// mode is a file's permission bits.
func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestDatabaseFilesOwnerOnly: with the usual umask (022), the database,
// its write-ahead log, its folder and a backup are created readable by
// their owner only (they hold password, session and token hashes); an
// existing world-readable database loses its group and other bits.
func TestDatabaseFilesOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "var")
	path := filepath.Join(dir, "t.db")
	db, err := metrics.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backups", "b.db")
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600, backup: 0o600, filepath.Dir(backup): 0o700} {
		if got := mode(t, p); got != want {
			t.Errorf("%s is %v, want %v", filepath.Base(p), got, want)
		}
	}
	db.Close()

	os.Chmod(path, 0o644)
	db, err = metrics.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := mode(t, path); got != 0o600 {
		t.Errorf("an existing world-readable database is %v after Open, want -rw-------", got)
	}
}

// TestRestoreRefusedWhileInUse: while a process holds the database's
// shared lock (as the server does), restore refuses and the database is
// left as it was; once it is released, restore works.
func TestRestoreRefusedWhileInUse(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	unlock, err := metrics.LockDatabase(live, false)
	if err != nil {
		t.Fatal(err)
	}
	db, err := metrics.Open(ctx, live)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "b.db")
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	// Something only the live database has.
	if _, err := db.W.Exec(`INSERT INTO meta (key, value) VALUES ('marker', 'live')`); err != nil {
		t.Fatal(err)
	}
	err = metrics.Restore(ctx, backup, live)
	if !errors.Is(err, metrics.ErrDatabaseInUse) {
		t.Fatalf("restore while the database is open: %v, want ErrDatabaseInUse", err)
	}
	var marker string
	if err := db.R.Get(&marker, `SELECT value FROM meta WHERE key = 'marker'`); err != nil || marker != "live" {
		t.Errorf("the refused restore changed the live database: %q %v", marker, err)
	}
	db.Close()
	unlock()
	if err := metrics.Restore(ctx, backup, live); err != nil {
		t.Fatalf("restore with the database closed: %v", err)
	}
}
