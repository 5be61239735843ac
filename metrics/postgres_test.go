package metrics_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/internal/testdb"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// TestPostgresInstancesStartingTogetherMigrateOnce: three instances
// migrating one new database at the same time all start, and the
// migrations ran once each.
func TestPostgresInstancesStartingTogetherMigrateOnce(t *testing.T) {
	testdb.RequirePG(t)
	ctx := context.Background()
	dsn, err := testdb.DSN(t, "empty", nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 3
	applied := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := metrics.Open(ctx, dsn)
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			applied[i], errs[i] = db.Migrate(ctx)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	db, err := metrics.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.R.Get(&rows, `SELECT COUNT(*) FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	if total := applied[0] + applied[1] + applied[2]; total != rows || rows == 0 {
		t.Errorf("the instances applied %v migrations, the database records %d", applied, rows)
	}
	if err := db.CheckSchema(ctx); err != nil {
		t.Error(err)
	}
}

// TestEmailIsUniqueWhateverItsCase: an address differing only in case
// is the same account, found by sign-in and refused as a second one by
// the database itself (NOCASE on SQLite, a unique index on lower(email)
// on PostgreSQL).
func TestEmailIsUniqueWhateverItsCase(t *testing.T) {
	db, s := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	if _, err := s.AddUser(ctx, "Lan.Nguyen@example.org", metrics.RoleEditor, "a long enough password", now); err != nil {
		t.Fatal(err)
	}
	u, err := s.UserByEmail(ctx, "lan.nguyen@EXAMPLE.org")
	if err != nil || u.Email != "Lan.Nguyen@example.org" {
		t.Fatalf("found %+v, %v", u, err)
	}
	_, err = db.W.ExecContext(ctx, `INSERT INTO users (email, password_hash, role, created_at) VALUES (?, 'x', 'editor', '2026-11-01T12:00:00Z')`,
		"LAN.NGUYEN@example.org")
	if !metrics.IsUniqueViolation(err) {
		t.Errorf("a second account differing only in case: %v, want a unique violation", err)
	}
}
