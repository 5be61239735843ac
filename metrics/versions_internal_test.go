package metrics

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jmoiron/sqlx"
)

// versionsDB makes an empty scratch database holding only the version
// rows, for the listener's own tests.
func versionsDB(t *testing.T) *sqlx.DB {
	t.Helper()
	admin := os.Getenv("TWINMETRICS_TEST_PG")
	if admin == "" {
		if os.Getenv("TWINMETRICS_REQUIRE_PG") == "1" {
			t.Fatal("TWINMETRICS_REQUIRE_PG=1 but TWINMETRICS_TEST_PG is not set")
		}
		t.Skip("TWINMETRICS_TEST_PG is not set")
	}
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "tm_versions_" + hex.EncodeToString(b)
	adb, err := sqlx.Open(pgDriverName, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer adb.Close()
	if _, err := adb.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		adb, err := sqlx.Open(pgDriverName, admin)
		if err == nil {
			_, _ = adb.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`)
			adb.Close()
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	pg, err := Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	// The real schema: a version bump also stamps the rows it made
	// current and records what the version was.
	if _, err := pg.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return pg.W
}

// bump commits a new data version the way the store does.
func bump(t *testing.T, db *sqlx.DB, rollback bool) int64 {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	v, err := bumpDataVersion(ctx, tx, "values", 0)
	if err != nil {
		t.Fatal(err)
	}
	if rollback {
		return v
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return v
}

func within(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// A version committed elsewhere reaches the listener through its
// notification (the poll is off), and a rolled-back one never does.
func TestVersionsNotified(t *testing.T) {
	db := versionsDB(t)
	v := newVersions(db)
	v.poll = 0
	if err := v.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer v.close()
	// The listener listens once its backlog is read; a version
	// committed before that is read by the backlog instead.
	first := bump(t, db, false)
	if err := v.wait(within(t, 10*time.Second), first); err != nil {
		t.Fatalf("version %d not seen: %v", first, err)
	}
	lost := bump(t, db, true)
	next := bump(t, db, false)
	if next != lost {
		t.Fatalf("a rolled-back bump should leave its number free: %d then %d", lost, next)
	}
	if err := v.wait(within(t, 10*time.Second), next); err != nil {
		t.Fatalf("version %d not seen: %v", next, err)
	}
	if got := v.data.Load(); got != next {
		t.Errorf("data version %d, want %d", got, next)
	}
}

// A listener whose connection is cut reconnects and reads what was
// committed while it was away, with no notification to tell it and
// no poll.
func TestVersionsReconnectLosesNothing(t *testing.T) {
	db := versionsDB(t)
	v := newVersions(db)
	v.poll = 0
	v.reconnect = 50 * time.Millisecond
	away := make(chan struct{})
	connects := 0
	connect := v.connect
	v.connect = func(ctx context.Context) (*pgx.Conn, error) {
		connects++
		if connects == 2 {
			// Reconnect only once a version was committed meanwhile.
			select {
			case <-away:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return connect(ctx)
	}
	if err := v.start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer v.close()
	before := bump(t, db, false)
	if err := v.wait(within(t, 10*time.Second), before); err != nil {
		t.Fatal(err)
	}
	pid := v.pid.Load()
	var ok bool
	if err := db.Get(&ok, `SELECT pg_terminate_backend(?)`, int(pid)); err != nil || !ok {
		t.Fatalf("terminate listener %d: %v %v", pid, ok, err)
	}
	// The signal is sent; wait until the backend has gone, so that the
	// next version cannot reach it.
	for gone := false; !gone; {
		if err := db.Get(&gone, `SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = ?)`, int(pid)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	missed := bump(t, db, false)
	if v.data.Load() >= missed {
		t.Fatalf("version %d seen while the listener was cut off", missed)
	}
	close(away)
	if err := v.wait(within(t, 10*time.Second), missed); err != nil {
		t.Fatalf("version %d lost across the reconnect: %v", missed, err)
	}
	if v.pid.Load() == pid {
		t.Error("the listener kept its terminated connection")
	}
}
