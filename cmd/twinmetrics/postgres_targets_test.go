package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testdb"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// TestCopyDBKeepsTargetHistory: an SQLite installation where a targets
// upload replaced the seed's CDP 2021 targets, moved with copy-db, keeps
// the commitments of the version before it: the kept states are copied,
// and the targets API and the pair page pinned to that version read the
// same from PostgreSQL as from SQLite, not the current targets.
func TestCopyDBKeepsTargetHistory(t *testing.T) {
	testdb.RequirePG(t)
	f := fixture(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "sqlite", "t.db")
	if err := copyDB(f.template, src); err != nil {
		t.Fatal(err)
	}
	before := queryInt(t, src, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'data_version'")
	file := filepath.Join("..", "..", "data", "raw", "cdp_targets", "2021_Cities_Emissions_Reduction_Targets_clean_names.csv")
	out, err := cli(t, "", "import", file, "--email", f.email, "--publish", "-db", src)
	if err != nil || !strings.Contains(out, "Published as upload #") {
		t.Fatalf("import of the targets: %v\n%s", err, out)
	}
	kept := queryInt(t, src, "SELECT COUNT(*) FROM target_history")
	stamped := queryInt(t, src, fmt.Sprintf("SELECT COUNT(*) FROM targets WHERE retired_by IS NULL AND valid_from = %d", before+1))

	dsn, err := testdb.DSN(t, "empty", nil)
	if err != nil {
		t.Fatal(err)
	}
	if out, err = cli(t, "", "copy-db", "--from", src, "--to", dsn); err != nil {
		t.Fatalf("copy-db: %v", err)
	}
	if want := regexp.MustCompile(fmt.Sprintf(`(?m)^target_history +%d rows$`, kept)); !want.MatchString(out) {
		t.Errorf("copy-db does not report the %d kept states of targets:\n%s", kept, out)
	}
	if got := queryInt(t, dsn, fmt.Sprintf("SELECT COUNT(*) FROM targets WHERE retired_by IS NULL AND valid_from = %d", before+1)); got != stamped {
		t.Errorf("%d current targets current from version %d on PostgreSQL, %d on SQLite", got, before+1, stamped)
	}

	base := "-base-url=https://twinmetrics.example"
	lite := startServer(t, src, base, "-uploads", filepath.Join(dir, "lite-uploads"))
	pg := startServer(t, dsn, base, "-uploads", filepath.Join(dir, "pg-uploads"))
	v := strconv.FormatInt(before, 10)
	sameOnBoth(t, lite, pg, []string{"/api/v1/targets?v=" + v, "/api/v1/targets?pair=hanoi-milan&format=csv&v=" + v, "/pairs/hanoi-milan?v=" + v, "/api/v1/targets"})
	// Pinned before the upload, the API lists none of the targets it
	// brought; now, it lists them.
	d, err := metrics.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	var brought []int64
	err = d.R.Select(&brought, `SELECT id FROM targets WHERE upload_id = (SELECT MAX(id) FROM uploads WHERE kind = 'file')`)
	d.Close()
	if err != nil || len(brought) == 0 {
		t.Fatalf("the targets the upload brought: %v, %v", brought, err)
	}
	ids := func(path string) map[string]bool {
		_, b := get(t, pg, path, "")
		out := map[string]bool{}
		for _, m := range regexp.MustCompile(`"id": ?(\d+)`).FindAllStringSubmatch(b, -1) {
			out[m[1]] = true
		}
		return out
	}
	pinned, now := ids("/api/v1/targets?v="+v), ids("/api/v1/targets")
	if len(pinned) < len(brought) {
		t.Errorf("%d targets at version %d, fewer than the %d the upload replaced them with", len(pinned), before, len(brought))
	}
	for _, id := range brought {
		if s := strconv.FormatInt(id, 10); pinned[s] || !now[s] {
			t.Errorf("target %d, brought by the upload: listed at version %d %v, listed now %v", id, before, pinned[s], now[s])
		}
	}
	lite.stop(t)
	lite.waitExit(t, src)
	pg.stop(t)
}
