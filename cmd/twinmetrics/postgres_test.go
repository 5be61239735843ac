//go:build unix

package main

// PostgreSQL operations through the real command: copy-db from SQLite,
// backup and restore. They run with TWINMETRICS_TEST_PG (an admin URL;
// each test gets its own database) and skip without it, unless
// TWINMETRICS_REQUIRE_PG=1.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
	var uploadID int64
	{
		db, err := metrics.Open(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		err = db.R.Get(&uploadID, "SELECT MAX(id) FROM uploads WHERE kind = 'file' AND status = 'published'")
		db.Close()
		if err != nil || uploadID == 0 {
			t.Fatalf("the fixture's published upload: %v", err)
		}
	}
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
	var obs int64
	{
		db, err := metrics.Open(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		err = db.R.Get(&obs, "SELECT COUNT(*) FROM observations")
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	if want := regexp.MustCompile(fmt.Sprintf(`(?m)^observations +%d rows$`, obs)); !want.MatchString(out) {
		t.Errorf("copy-db does not report the %d observations:\n%s", obs, out)
	}
	if !strings.Contains(out, "each table's count checked") {
		t.Errorf("copy-db's summary: %s", out)
	}

	// One public address for both, which the pages name.
	base := "-base-url=https://twinmetrics.example"
	lite := startServer(t, src, base, "-uploads", filepath.Join(dir, "lite-uploads"))
	pg := startServer(t, dsn, base, "-uploads", filepath.Join(dir, "pg-uploads"))
	for _, p := range comparedPaths {
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
	// The upload's synthetic values (1930–1979) are there before the
	// rollback.
	if _, b := get(t, pg, "/api/v1/observations?city=milan&from=1930&to=1979", ""); !strings.Contains(b, `"year":19`) {
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
	if c, b := get(t, pg, "/api/v1/uploads", token); c != http.StatusOK || !strings.Contains(b, fmt.Sprint(uploadID)) {
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
	if _, b := get(t, pg, "/api/v1/observations?city=milan&from=1930&to=1979", ""); strings.Contains(b, `"year":19`) {
		t.Errorf("after the rollback on PostgreSQL the upload's values are still served: %s", tail(b))
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
