package metrics_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/internal/testdb"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// TestBackupWhileWritingRestoresConsistently takes backups while the
// seed is applied again and again (each time retiring every observation
// and writing them anew, in one transaction), and restores each one: a
// backup holds the state before or after a write, never half of one.
func TestBackupWhileWritingRestoresConsistently(t *testing.T) {
	if testdb.PG() {
		t.Skip("VACUUM INTO backs up SQLite; PostgreSQL is backed up by pg_dump")
	}
	ctx := context.Background()
	db, s := seeded(t)
	want, err := s.CountObservations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 6; i++ {
			m := testapp.SeedCopy(t)
			// Change the seed's hash so that it is applied again.
			m["programme_pairs.csv"].Data = append(append([]byte{}, m["programme_pairs.csv"].Data...), []byte("\n\n\n\n\n\n\n"[:i+1])...)
			if _, err := s.Seed(ctx, m); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	dir := t.TempDir()
	for i := 0; i < 6; i++ {
		path := filepath.Join(dir, "backup-"+string(rune('a'+i))+".db")
		if err := db.Backup(ctx, path); err != nil {
			t.Fatal(err)
		}
		if err := metrics.CheckBackup(ctx, path); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dir, "restored-"+string(rune('a'+i))+".db")
		if err := metrics.Restore(ctx, path, target); err != nil {
			t.Fatal(err)
		}
		rdb, err := metrics.Open(ctx, target)
		if err != nil {
			t.Fatal(err)
		}
		var current, seeds, published int
		rdb.R.Get(&current, "SELECT COUNT(*) FROM observations WHERE retired_by IS NULL AND numerator_id IS NULL")
		rdb.R.Get(&seeds, "SELECT COUNT(*) FROM uploads WHERE kind = 'seed'")
		rdb.R.Get(&published, "SELECT COUNT(DISTINCT upload_id) FROM observations WHERE retired_by IS NULL AND numerator_id IS NULL")
		rdb.Close()
		if current != want || published != 1 {
			t.Errorf("backup %d after %d seeds holds %d current observations from %d uploads, want %d from 1", i, seeds, current, published, want)
		}
	}
	wg.Wait()
	if err := db.Backup(ctx, filepath.Join(dir, "backup-a.db")); err == nil {
		t.Error("a backup overwrote an existing file")
	}
}
