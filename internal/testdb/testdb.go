// Package testdb gives each test its own database: an SQLite file in the
// test's temporary folder, or, when TWINMETRICS_TEST_PG holds the URL of
// a PostgreSQL server (an account that may create databases), a
// PostgreSQL database cloned from a template that was built once.
//
// TWINMETRICS_REQUIRE_PG=1 makes a missing or unreachable server a
// failure instead of a skip, so that a CI run cannot pass without the
// PostgreSQL tests.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// EnvPG names the environment variable with the PostgreSQL server's URL.
const EnvPG = "TWINMETRICS_TEST_PG"

// PG reports whether tests run on PostgreSQL.
func PG() bool { return os.Getenv(EnvPG) != "" }

// RequirePG skips t unless tests run on PostgreSQL, or fails it when
// TWINMETRICS_REQUIRE_PG=1 says they must.
func RequirePG(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvPG)
	if dsn == "" {
		if os.Getenv("TWINMETRICS_REQUIRE_PG") == "1" {
			t.Fatalf("TWINMETRICS_REQUIRE_PG=1 but %s is not set", EnvPG)
		}
		t.Skipf("set %s to a PostgreSQL URL to run this test", EnvPG)
	}
	return dsn
}

// Setup fills a new database: migrates it, seeds it….
type Setup func(ctx context.Context, db *metrics.DB) error

// Open returns a fresh database for t, prepared by setup, closed (and on
// PostgreSQL dropped) when t ends. level names what setup does: on
// PostgreSQL, databases of the same level are clones of one template
// that setup filled once per test process (and once per build of the
// program, whose hash is in the template's name).
func Open(t testing.TB, level string, setup Setup) *metrics.DB {
	t.Helper()
	return OpenOn(t, PG(), level, setup)
}

// OpenOn is Open on the engine asked for: PostgreSQL when pg (skipped
// without a server, as RequirePG), else SQLite.
func OpenOn(t testing.TB, pg bool, level string, setup Setup) *metrics.DB {
	t.Helper()
	ctx := context.Background()
	var dsn string
	var err error
	if pg {
		RequirePG(t)
		dsn, err = DSN(t, level, setup)
	} else {
		dsn = filepath.Join(t.TempDir(), "t.db")
	}
	if err != nil {
		t.Fatal(err)
	}
	db, err := metrics.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if !metrics.IsPostgresDSN(dsn) && setup != nil {
		if err := setup(ctx, db); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// DSN is Open without opening: on SQLite a path in t's temporary folder
// (empty: setup is the caller's), on PostgreSQL the URL of a fresh clone
// of level's template.
func DSN(t testing.TB, level string, setup Setup) (string, error) {
	t.Helper()
	admin := os.Getenv(EnvPG)
	if admin == "" {
		if os.Getenv("TWINMETRICS_REQUIRE_PG") == "1" {
			return "", fmt.Errorf("TWINMETRICS_REQUIRE_PG=1 but %s is not set", EnvPG)
		}
		return filepath.Join(t.TempDir(), "t.db"), nil
	}
	tpl, err := template(admin, level, setup)
	if err != nil {
		return "", err
	}
	name := "tm_t_" + randomHex(8)
	if err := adminExec(admin, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tpl)); err != nil {
		return "", fmt.Errorf("clone the test database: %w", err)
	}
	if err := adminExec(admin, stampSQL(name)); err != nil {
		return "", err
	}
	t.Cleanup(func() {
		if err := adminExec(admin, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Errorf("drop the test database %s: %v", name, err)
		}
	})
	return withDatabase(admin, name)
}

var (
	tplMu   sync.Mutex
	tplDone = map[string]string{}
)

// template builds (once per process, and only when no earlier run of the
// same build left it) the template database of a level and returns its
// name.
func template(admin, level string, setup Setup) (string, error) {
	tplMu.Lock()
	defer tplMu.Unlock()
	if name, ok := tplDone[level]; ok {
		return name, nil
	}
	h, err := buildHash()
	if err != nil {
		return "", err
	}
	name := "tm_tpl_" + level + "_" + h
	ctx := context.Background()
	db, err := metrics.Open(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvPG, err)
	}
	defer db.Close()
	conn, err := db.W.Connx(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	// Test processes of several packages start together: one builds the
	// template, the others wait for it.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext(?))`, name); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(hashtext(?))`, name) //nolint:errcheck // ends with the connection too
	var n int
	if err := conn.GetContext(ctx, &n, `SELECT COUNT(*) FROM pg_database WHERE datname = ?`, name); err != nil {
		return "", err
	}
	if n == 0 {
		// Built under another name and renamed when complete, so that a
		// run stopped half-way leaves no template to trust.
		tmp := "tm_build_" + randomHex(8)
		if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+tmp+` TEMPLATE template0 ENCODING 'UTF8'`); err != nil {
			return "", err
		}
		if _, err := conn.ExecContext(ctx, stampSQL(tmp)); err != nil {
			return "", err
		}
		if err := fill(ctx, admin, tmp, setup); err != nil {
			_, _ = conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+tmp+` WITH (FORCE)`)
			return "", fmt.Errorf("build the %s test database: %w", level, err)
		}
		if _, err := conn.ExecContext(ctx, `ALTER DATABASE `+tmp+` RENAME TO `+name); err != nil {
			return "", err
		}
	}
	if _, err := conn.ExecContext(ctx, stampSQL(name)); err != nil {
		return "", err
	}
	tplDone[level] = name
	sweep(ctx, conn, time.Now().Add(-staleAfter))
	return name, nil
}

// staleAfter is how long a test database may go unused before a test
// run drops it: each build of the program makes its own templates, and a
// developer's server would otherwise keep every one of them, as it would
// the clones of a test process that was killed.
const staleAfter = 24 * time.Hour

const stampPrefix = "twinmetrics test database, last used "

// stampSQL records on the database that it is in use now.
func stampSQL(name string) string {
	return fmt.Sprintf(`COMMENT ON DATABASE %s IS '%s%d'`, name, stampPrefix, time.Now().Unix())
}

// sweep drops the test databases last used before cutoff, and the
// templates of earlier builds that carry no stamp. One in use by a
// running test refuses to go and stays; an unstamped clone or build may
// be one being made, and stays too.
func sweep(ctx context.Context, conn *sqlx.Conn, cutoff time.Time) {
	var dbs []struct {
		Name    string `db:"datname"`
		Comment string `db:"comment"`
	}
	if err := conn.SelectContext(ctx, &dbs, `SELECT d.datname, COALESCE(shobj_description(d.oid, 'pg_database'), '') AS comment
		FROM pg_database d WHERE d.datname LIKE 'tm\_%'`); err != nil {
		return
	}
	for _, d := range dbs {
		stale := strings.HasPrefix(d.Name, "tm_tpl_")
		if at, ok := strings.CutPrefix(d.Comment, stampPrefix); ok {
			sec, err := strconv.ParseInt(at, 10, 64)
			stale = err == nil && time.Unix(sec, 0).Before(cutoff)
		}
		if stale && validName.MatchString(d.Name) {
			_, _ = conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+d.Name)
		}
	}
}

var validName = regexp.MustCompile(`^tm_(tpl|build|t)_[a-z_]*[0-9a-f]+$`)

func fill(ctx context.Context, admin, name string, setup Setup) error {
	dsn, err := withDatabase(admin, name)
	if err != nil {
		return err
	}
	db, err := metrics.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close() // a template may have no connections when it is copied
	if setup == nil {
		return nil
	}
	return setup(ctx, db)
}

func adminExec(admin, sql string) error {
	db, err := metrics.Open(context.Background(), admin)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.W.Exec(sql)
	return err
}

// withDatabase is the server URL admin with another database.
func withDatabase(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("%s: %w", EnvPG, err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

var (
	hashOnce sync.Once
	hashVal  string
	hashErr  error
)

// buildHash is a hash of the test binary, which embeds the migrations,
// the seed and the code that fills a template: a template made by an
// earlier run of the same build is the same, any change makes another.
func buildHash() (string, error) {
	hashOnce.Do(func() {
		exe, err := os.Executable()
		if err != nil {
			hashErr = err
			return
		}
		f, err := os.Open(exe)
		if err != nil {
			hashErr = err
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			hashErr = err
			return
		}
		hashVal = hex.EncodeToString(h.Sum(nil))[:16]
	})
	return hashVal, hashErr
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}
