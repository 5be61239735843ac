package dashboard_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

const (
	adminEmail  = "admin@example.org"
	editorEmail = "editor@example.org"
	password    = "correct horse battery"
)

// staffApp is a seeded app with an admin and an editor, served on a
// real listener so that cookies behave as in a browser.
type staffApp struct {
	*testapp.App
	srv   *httptest.Server
	token string // the editor's API token
}

func newStaffApp(t testing.TB, o testapp.Options) *staffApp {
	t.Helper()
	return staffOn(t, testapp.New(t, o))
}

// staffOn adds the admin, the editor and the editor's token to app's
// database and serves it.
func staffOn(t testing.TB, app *testapp.App) *staffApp {
	t.Helper()
	ctx := context.Background()
	for _, u := range []struct{ email, role string }{{adminEmail, metrics.RoleAdmin}, {editorEmail, metrics.RoleEditor}} {
		if _, err := app.Store.AddUser(ctx, u.email, u.role, password, testapp.Fixed); err != nil {
			t.Fatal(err)
		}
	}
	tok, _, err := app.Store.CreateToken(ctx, editorEmail, "tests", testapp.Fixed)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(srv.Close)
	return &staffApp{App: app, srv: srv, token: tok}
}

// client is one browser: a cookie jar, and the CSRF token of the last
// page it read.
type client struct {
	t    testing.TB
	base string
	hc   *http.Client
	csrf string
}

func (a *staffApp) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: a.srv.URL, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

type resp struct {
	code int
	body string
	loc  string
	hdr  http.Header
}

func (c *client) do(req *http.Request) resp {
	c.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if m := csrfRe.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return resp{code: res.StatusCode, body: string(b), loc: res.Header.Get("Location"), hdr: res.Header}
}

func (c *client) get(path string) resp {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	return c.do(req)
}

// post sends a form with the page's CSRF token (unless vals sets csrf).
func (c *client) post(path string, vals url.Values) resp {
	c.t.Helper()
	if vals == nil {
		vals = url.Values{}
	}
	if _, ok := vals["csrf"]; !ok {
		vals.Set("csrf", c.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *client) login(email string) {
	c.t.Helper()
	c.get("/login")
	r := c.post("/login", url.Values{"email": {email}, "password": {password}, "next": {"/admin/uploads"}})
	if r.code != http.StatusSeeOther || r.loc != "/admin/uploads" {
		c.t.Fatalf("sign in as %s: %d %s\n%s", email, r.code, r.loc, text(r.body))
	}
	c.get("/admin/uploads")
}

func multipartBody(t testing.TB, name string, content []byte, fields ...string) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// uploadPage posts a file as the upload form does without a script,
// then follows the redirect to the preview and waits for the check.
func (c *client) uploadPage(a *staffApp, name string, content []byte) (key string, page resp) {
	c.t.Helper()
	body, ct := multipartBody(c.t, name, content, "csrf", c.csrf)
	req, _ := http.NewRequest(http.MethodPost, c.base+"/admin/uploads", body)
	req.Header.Set("Content-Type", ct)
	r := c.do(req)
	if r.code != http.StatusSeeOther {
		return "", r
	}
	key = strings.TrimPrefix(r.loc, "/admin/uploads/")
	a.Uploads.Wait()
	return key, c.get(r.loc)
}

// apiUpload sends a file to the API with the editor's token.
func (a *staffApp) apiUpload(t testing.TB, name string, content []byte) (int, map[string]any) {
	t.Helper()
	body, ct := multipartBody(t, name, content)
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/api/v1/uploads", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+a.token)
	return a.apiDo(t, req)
}

func (a *staffApp) apiPost(t testing.TB, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+a.token)
	return a.apiDo(t, req)
}

func (a *staffApp) apiDo(t testing.TB, req *http.Request) (int, map[string]any) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s answered %d with non-JSON: %.300s", req.Method, req.URL.Path, res.StatusCode, b)
	}
	return res.StatusCode, out
}

// dbHash is the SHA-256 of everything the database holds but the log
// of actions on uploads (upload_events, which records every upload,
// check and discard, refused files included, by design): the schema and
// every row of every other table.
func dbHash(t testing.TB, app *testapp.App) string {
	t.Helper()
	h := sha256.New()
	var tables []struct {
		Name string `db:"name"`
		SQL  string `db:"sql"`
	}
	q := `SELECT name, COALESCE(sql, '') AS sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name <> 'upload_events' AND name NOT LIKE 'upload_events_%' ORDER BY name`
	if app.DB.Dialect == metrics.Postgres {
		// The tables (their rows say what changed); the staged rows,
		// records and originals of pending uploads, and the upload rate's
		// uses, are SQLite's spool folder and memory, outside the
		// database there.
		q = `SELECT table_name AS name, 'CREATE TABLE ' || table_name AS sql FROM information_schema.tables
			WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'upload_events' AND table_name NOT LIKE 'upload_stage_%'
			AND table_name NOT IN ('pending_uploads', 'rate_hits')
			ORDER BY table_name`
	}
	if err := app.DB.W.Select(&tables, q); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		io.WriteString(h, tb.SQL+"\n")
		if !strings.HasPrefix(strings.ToUpper(tb.SQL), "CREATE TABLE") {
			continue
		}
		rows, err := app.DB.W.Queryx(`SELECT * FROM "` + tb.Name + `"`)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for rows.Next() {
			vals, err := rows.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, jsonStr(vals))
		}
		rows.Close()
		sort.Strings(lines)
		io.WriteString(h, tb.Name+"\n"+strings.Join(lines, "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// currentState lists every current value in a stable form (derived rows
// are recomputed with new ids, so ids are left out of theirs).
func currentState(t testing.TB, app *testapp.App) string {
	t.Helper()
	rows, err := app.DB.R.Query(`SELECT CASE WHEN numerator_id IS NULL THEN id ELSE 0 END, area_id, indicator_id, year, value, COALESCE(source_id, 0), flags, note
		FROM observations WHERE retired_by IS NULL ORDER BY 1, 2, 3, 4, 5`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var sb strings.Builder
	for rows.Next() {
		var id, area, ind, src int64
		var year, value any
		var flags, note string
		if err := rows.Scan(&id, &area, &ind, &year, &value, &src, &flags, &note); err != nil {
			t.Fatal(err)
		}
		sb.WriteString(strings.Join([]string{itoa(id), itoa(area), itoa(ind), fmtAny(year), fmtAny(value), itoa(src), flags, note}, "|"))
		sb.WriteByte('\n')
	}
	return sb.String()
}

func itoa(i int64) string { return strings.TrimSpace(strings.ReplaceAll(jsonStr(i), `"`, "")) }
func fmtAny(v any) string { return jsonStr(v) }
func jsonStr(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// sampleUploads uploads what staff pages show: a file with rejected rows
// (bad), one that cannot be read (pdf), and a good one, published, whose
// record page is record.
func (c *client) sampleUploads(a *staffApp) (bad, pdf, record string) {
	c.t.Helper()
	c.get("/admin/uploads")
	bad, _ = c.uploadPage(a, "bad.csv", []byte(badFile))
	pdf, _ = c.uploadPage(a, "report.csv", []byte("%PDF-1.4 not a spreadsheet"))
	fixed, _ := c.uploadPage(a, "fixed.csv", []byte(fixedFile))
	c.get("/admin/uploads/" + fixed)
	pub := c.post("/admin/uploads/"+fixed+"/publish", nil)
	record, _, _ = strings.Cut(pub.loc, "?")
	if !strings.HasPrefix(record, "/admin/uploads/") {
		c.t.Fatalf("publish: %d %s", pub.code, pub.loc)
	}
	return bad, pdf, record
}
