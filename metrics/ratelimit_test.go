package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/internal/testdb"
)

// TestRateHitsExpire: a limit counts each client's uses within its
// window, and the expired uses of clients that never come back are
// removed by the next use of the same limit, not kept for good; another
// limit's uses stay.
func TestRateHitsExpire(t *testing.T) {
	testdb.RequirePG(t)
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	allow := func(key string, at time.Time) bool {
		t.Helper()
		ok, err := app.Store.AllowHit(ctx, key, 2, time.Minute, at)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !allow("upload:198.51.100.1", t0) || !allow("upload:198.51.100.1", t0.Add(time.Second)) {
		t.Fatal("the first two uses in a minute were refused")
	}
	if allow("upload:198.51.100.1", t0.Add(2*time.Second)) {
		t.Error("a third use within the minute was allowed")
	}
	if !allow("export:198.51.100.1", t0) {
		t.Fatal("another limit's first use was refused")
	}
	// Two minutes on, another client of the upload limit.
	if !allow("upload:203.0.113.9", t0.Add(2*time.Minute)) {
		t.Fatal("another client's first use was refused")
	}
	var left []string
	if err := app.DB.R.SelectContext(ctx, &left, `SELECT key FROM rate_hits ORDER BY key`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"export:198.51.100.1", "upload:203.0.113.9"}; len(left) != 2 || left[0] != want[0] || left[1] != want[1] {
		t.Errorf("uses kept: %v, want %v (the first client's expired uses removed, the other limit's kept)", left, want)
	}
}
