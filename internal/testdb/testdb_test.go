package testdb

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// TestSweepDropsStaleDatabases: the test databases of earlier builds and
// of killed test processes go once unused for a day; those in use or
// just made stay.
func TestSweepDropsStaleDatabases(t *testing.T) {
	admin := RequirePG(t)
	ctx := context.Background()
	db, err := metrics.Open(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.W.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	h := randomHex(6)
	old, fresh, legacy, building := "tm_t_"+h+"01", "tm_t_"+h+"02", "tm_tpl_app_"+h+"03", "tm_build_"+h+"04"
	for _, name := range []string{old, fresh, legacy, building} {
		if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = adminExec(admin, `DROP DATABASE IF EXISTS `+name) })
	}
	twoDays := time.Now().Add(-48 * time.Hour).Unix()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`COMMENT ON DATABASE %s IS '%s%d'`, old, stampPrefix, twoDays)); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, stampSQL(fresh)); err != nil {
		t.Fatal(err)
	}
	sweep(ctx, conn, time.Now().Add(-staleAfter))
	var left []string
	if err := conn.SelectContext(ctx, &left, `SELECT datname FROM pg_database WHERE datname LIKE '%'||?||'%'`, h); err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	if want := []string{building, fresh}; !slices.Equal(left, want) {
		t.Errorf("after the sweep %v are left, want %v (the clone unused for two days and the unstamped template of an earlier build dropped)", left, want)
	}
}
