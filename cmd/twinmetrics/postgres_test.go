//go:build unix

package main

// PostgreSQL operations through the real command: copy-db from SQLite,
// backup and restore. They run with TWINMETRICS_TEST_PG (an admin URL;
// each test gets its own database) and skip without it, unless
// TWINMETRICS_REQUIRE_PG=1.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testdb"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// cli runs the command in this process and returns what it printed.
func cli(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := runWith(context.Background(), args, strings.NewReader(stdin), &out, io.Discard)
	return out.String(), err
}

// get fetches a page or API answer from a running server.
func get(t *testing.T, s *server, path, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// signIn posts the sign-in form and returns the status: 303 signed in.
func signIn(t *testing.T, s *server, email, password string) int {
	t.Helper()
	token := strings.Repeat("c", 43)
	form := url.Values{"email": {email}, "password": {password}, "csrf": {token}}
	req, _ := http.NewRequest(http.MethodPost, s.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "tm_login_csrf", Value: token})
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// queryInt reads one number from the database at db; it must be there.
func queryInt(t *testing.T, db, query string) int64 {
	t.Helper()
	d, err := metrics.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int64
	if err := d.R.Get(&n, query); err != nil || n == 0 {
		t.Fatalf("%s: %d, %v", query, n, err)
	}
	return n
}

// comparedPaths are pages and API answers of every family that must read
// the same from both engines.
var comparedPaths = []string{
	"/", "/pairs/hanoi-milan", "/pairs/ho-chi-minh-city-kosice", "/cities/hanoi", "/indicators",
	"/indicators/pm25_annual_mean", "/about",
	"/api/v1/observations?pair=hanoi-milan", "/api/v1/observations?city=milan&from=1930&to=1979",
	"/api/v1/cities", "/api/v1/indicators", "/api/v1/sources", "/api/v1/targets",
	"/data/download?format=csv",
}

// TestCopyDBToPostgres: an SQLite installation with a published upload,
// a staff account and an API token, moved with copy-db, serves the same
// pages and API answers from PostgreSQL; the account signs in with its
// password, the token works, the upload rolls back there, and a new
// upload is published with the next ids. A second copy into the now
// full database is refused unless --replace, and the source must not be
// in use.
func TestCopyDBToPostgres(t *testing.T) {
	testdb.RequirePG(t)
	f := fixture(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "sqlite", "t.db")
	if err := copyDB(f.afterDB, src); err != nil {
		t.Fatal(err)
	}
	token, err := cli(t, "", "token", "create", "--email", f.email, "--name", "copy", "-db", src)
	if err != nil {
		t.Fatal(err)
	}
	token = strings.TrimSpace(token)
	uploadID := queryInt(t, src, "SELECT MAX(id) FROM uploads WHERE kind = 'file' AND status = 'published'")
	dsn, err := testdb.DSN(t, "empty", nil)
	if err != nil {
		t.Fatal(err)
	}

	// The source in use is refused.
	unlock, err := metrics.LockDatabase(src, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli(t, "", "copy-db", "--from", src, "--to", dsn); err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Errorf("copy-db from a database in use: %v, want it refused", err)
	}
	unlock()

	out, err := cli(t, "", "copy-db", "--from", src, "--to", dsn)
	if err != nil {
		t.Fatalf("copy-db: %v", err)
	}
	obs := queryInt(t, src, "SELECT COUNT(*) FROM observations")
	if want := regexp.MustCompile(fmt.Sprintf(`(?m)^observations +%d rows$`, obs)); !want.MatchString(out) {
		t.Errorf("copy-db does not report the %d observations:\n%s", obs, out)
	}
	if !strings.Contains(out, "each table's count checked") {
		t.Errorf("copy-db's summary: %s", out)
	}
	// The copy is vacuumed as well as analysed: its pages are marked
	// all-visible, so the first counts read the indexes alone.
	if n := queryInt(t, dsn, "SELECT COUNT(*) FROM pg_stat_user_tables WHERE relname = 'observations' AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL"); n != 1 {
		t.Errorf("copy-db left the observations table without a vacuum and statistics")
	}

	// One public address for both, which the pages name.
	base := "-base-url=https://twinmetrics.example"
	lite := startServer(t, src, base, "-uploads", filepath.Join(dir, "lite-uploads"))
	pg := startServer(t, dsn, base, "-uploads", filepath.Join(dir, "pg-uploads"))
	sameOnBoth(t, lite, pg, comparedPaths)
	// The upload's synthetic values (1930–1979) are there before the
	// rollback.
	uploadYears := regexp.MustCompile(`"year": 19[3-7][0-9],`)
	if _, b := get(t, pg, "/api/v1/observations?city=milan&from=1930&to=1979", ""); !uploadYears.MatchString(b) {
		t.Fatalf("the copied upload's values are missing from PostgreSQL: %s", tail(b))
	}
	lite.stop(t)
	lite.waitExit(t, src)

	if c := signIn(t, pg, f.email, "wrong password, surely"); c != http.StatusUnauthorized {
		t.Errorf("a wrong password on PostgreSQL: %d, want 401", c)
	}
	if c := signIn(t, pg, f.email, "synthetic password for tests"); c != http.StatusSeeOther {
		t.Errorf("the copied account's password on PostgreSQL: %d, want 303 (signed in)", c)
	}
	// The copied token is taken (a key nobody has is 404, not 401), and
	// rolls the upload back.
	if c, b := get(t, pg, "/api/v1/uploads/no-such-upload", token); c != http.StatusNotFound {
		t.Errorf("the copied token on PostgreSQL: %d %s", c, tail(b))
	}
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/uploads/%d/rollback", pg.url, uploadID), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("rollback of upload %d on PostgreSQL: %s %s", uploadID, resp.Status, tail(string(b)))
	}
	if c, b := get(t, pg, "/api/v1/observations?city=milan&from=1930&to=1979", ""); c != http.StatusOK || uploadYears.MatchString(b) {
		t.Errorf("after the rollback on PostgreSQL: %d %s, want none of the upload's values", c, tail(b))
	}
	pg.stop(t)
	if !pg.exited(60e9) || pg.err != nil {
		t.Fatalf("the PostgreSQL server did not exit cleanly: %v\n%s", pg.err, tail(pg.stderr.String()))
	}

	// A new upload takes the ids after the copied ones (the sequences
	// were set past them).
	out, err = cli(t, "", append(f.importArgs(dsn), "-uploads", filepath.Join(dir, "pg-uploads"))...)
	if err != nil {
		t.Fatalf("a new upload on the copy: %v\n%s", err, out)
	}
	if m := regexp.MustCompile(`Published as upload #([0-9]+)`).FindStringSubmatch(out); m == nil || m[1] != fmt.Sprint(uploadID+1) {
		t.Errorf("the new upload on the copy: %q, want upload #%d", m, uploadID+1)
	}

	// Copying again into the database, now full, is refused, and
	// --replace starts it over.
	if _, err := cli(t, "", "copy-db", "--from", src, "--to", dsn); err == nil || !strings.Contains(err.Error(), "already holds data") {
		t.Errorf("copy-db into a full database: %v, want it refused", err)
	}
	if out, err := cli(t, "", "copy-db", "--from", src, "--to", dsn, "--replace"); err != nil || !regexp.MustCompile(fmt.Sprintf(`(?m)^observations +%d rows$`, obs)).MatchString(out) {
		t.Errorf("copy-db --replace: %v\n%s", err, out)
	}
}

// firstDiff shows where two answers part.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("SQLite %q, PostgreSQL %q", a[from:min(len(a), i+80)], b[from:min(len(b), i+80)])
}

// TestBackupRestorePostgres: `backup` on PostgreSQL writes a pg_dump
// archive readable by its owner only; `restore` is refused while an
// instance is connected (naming the sessions), refuses a damaged
// archive or an SQLite file and leaves the database as it was, and
// otherwise brings back the backed-up state: an account added after the
// backup is gone, the values are those of the backup. Without pg_dump,
// `backup` refuses and says what to install.
func TestBackupRestorePostgres(t *testing.T) {
	testdb.RequirePG(t)
	f := fixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	dsn, err := testdb.DSN(t, "empty", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli(t, "", "copy-db", "--from", f.afterDB, "--to", dsn); err != nil {
		t.Fatal(err)
	}
	counts := func() string {
		t.Helper()
		db, err := metrics.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var c struct {
			Obs     int64   `db:"obs"`
			Sum     float64 `db:"sum"`
			Users   int64   `db:"users"`
			Version string  `db:"version"`
		}
		if err := db.R.GetContext(ctx, &c, `SELECT COUNT(*) AS obs, COALESCE(SUM(value), 0) AS sum,
			(SELECT COUNT(*) FROM users) AS users, (SELECT value FROM meta WHERE key = 'data_version') AS version FROM observations`); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d values summing to %.6g, %d accounts, data version %s", c.Obs, c.Sum, c.Users, c.Version)
	}
	before := counts()

	archive := filepath.Join(dir, "backups", "before.pgdump")
	out, err := cli(t, "", "backup", "-db", dsn, archive)
	if err != nil || !strings.HasPrefix(out, "backed up postgres://") {
		t.Fatalf("backup: %v %q", err, out)
	}
	if fi, err := os.Stat(archive); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the archive: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	if _, err := cli(t, "", "backup", "-db", dsn, archive); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a backup over an existing file: %v", err)
	}

	// A change after the backup.
	if _, err := cli(t, "a long enough password\n", "user", "add", "--email", "later@example.org", "--role", "editor", "-db", dsn); err != nil {
		t.Fatal(err)
	}
	changed := counts()
	if changed == before {
		t.Fatalf("adding an account changed nothing: %s", changed)
	}

	s := startServer(t, dsn, "-uploads", filepath.Join(dir, "uploads"))
	_, err = cli(t, "", "restore", "-db", dsn, archive)
	if !errors.Is(err, metrics.ErrDatabaseInUse) || !strings.Contains(err.Error(), "other sessions are connected") {
		t.Errorf("restore while an instance is connected: %v, want it refused naming the sessions", err)
	}
	if c, _ := get(t, s, "/healthz", ""); c != http.StatusOK {
		t.Errorf("the instance after the refused restore answers %d", c)
	}
	s.stop(t)
	if !s.exited(60e9) {
		t.Fatal("the server did not stop")
	}

	// A damaged archive and an SQLite file are refused, and the database
	// keeps its state.
	b, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.pgdump")
	if err := os.WriteFile(cut, b[:len(b)*2/3], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := cli(t, "", "restore", "-db", dsn, cut); err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Errorf("restore of a cut archive: %v, want it refused", err)
	}
	if _, err := cli(t, "", "restore", "-db", dsn, f.template); err == nil || !strings.Contains(err.Error(), "not a PostgreSQL archive") {
		t.Errorf("restore of an SQLite file into PostgreSQL: %v", err)
	}
	if got := counts(); got != changed {
		t.Errorf("a refused restore changed the database: %s, was %s", got, changed)
	}

	out, err = cli(t, "", "restore", "-db", dsn, archive)
	if err != nil || !strings.HasPrefix(out, "restored postgres://") {
		t.Fatalf("restore: %v %q", err, out)
	}
	if got := counts(); got != before {
		t.Errorf("after the restore: %s, want the backup's %s", got, before)
	}
	if _, err := cli(t, "", "user", "logout", "--email", "later@example.org", "-db", dsn); err == nil {
		t.Error("the account added after the backup survived the restore")
	}
	// The restored database takes new rows with new ids.
	if _, err := cli(t, "a long enough password\n", "user", "add", "--email", "again@example.org", "--role", "editor", "-db", dsn); err != nil {
		t.Errorf("adding an account after the restore: %v", err)
	}

	// Without PostgreSQL's tools, backup says what to install.
	t.Setenv("PATH", t.TempDir())
	missing := filepath.Join(dir, "missing.pgdump")
	if _, err := cli(t, "", "backup", "-db", dsn, missing); err == nil || !strings.Contains(err.Error(), "pg_dump not found") || !strings.Contains(err.Error(), "apt-get install postgresql-client") {
		t.Errorf("backup without pg_dump: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused backup left a file: %v", err)
	}
}

// sameOnBoth checks that each path answers 200 with the same bytes on
// the SQLite server and the PostgreSQL one.
func sameOnBoth(t *testing.T, lite, pg *server, paths []string) {
	t.Helper()
	for _, p := range paths {
		lc, lb := get(t, lite, p, "")
		pc, pb := get(t, pg, p, "")
		if lc != http.StatusOK || pc != lc {
			t.Errorf("GET %s: %d on SQLite, %d on PostgreSQL", p, lc, pc)
			continue
		}
		if lb != pb {
			t.Errorf("GET %s differs between SQLite and PostgreSQL (%d and %d bytes); first difference: %s", p, len(lb), len(pb), firstDiff(lb, pb))
		}
	}
}
