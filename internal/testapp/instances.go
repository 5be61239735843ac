package testapp

import (
	"context"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testdb"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// Instances builds n instances of twinmetrics on one seeded PostgreSQL
// database, as behind a load balancer: each has its own pool, store
// (with its version listener), uploader with its own spool folder, and
// handler; they share nothing but the database. The test is skipped
// unless tests run on PostgreSQL (TWINMETRICS_TEST_PG).
func Instances(t testing.TB, n int, o Options) []*App {
	t.Helper()
	testdb.RequirePG(t)
	ctx := context.Background()
	dsn, err := testdb.DSN(t, "app", setup("app"))
	if err != nil {
		t.Fatal(err)
	}
	apps := make([]*App, n)
	for i := range apps {
		db, err := metrics.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		store, err := metrics.NewStore(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(store.Close)
		apps[i] = serve(t, db, store, t.TempDir(), o)
	}
	return apps
}
