package dashboard_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

func request(t *testing.T, h http.Handler, url string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func cacheCount(t *testing.T, h http.Handler, result string) string {
	t.Helper()
	_, body, _ := get(t, h, "/metrics")
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, `twinmetrics_response_cache_total{result="`+result+`"}`) {
			return strings.Fields(line)[1]
		}
	}
	return "0"
}

func TestPageCacheServesCompressedAndRevalidates(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	plain := request(t, app.Handler, "/pairs/hanoi-milan", nil)
	if plain.Code != 200 || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("plain answer %d, encoding %q", plain.Code, plain.Header().Get("Content-Encoding"))
	}
	gz := request(t, app.Handler, "/pairs/hanoi-milan", map[string]string{"Accept-Encoding": "gzip"})
	if gz.Header().Get("Content-Encoding") != "gzip" {
		t.Fatal("a reader that accepts gzip gets an uncompressed page")
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain.Body.Bytes()) {
		t.Error("the compressed page differs from the plain one")
	}
	if gz.Body.Len()*3 > plain.Body.Len() {
		t.Errorf("compressed %d bytes of %d", gz.Body.Len(), plain.Body.Len())
	}
	if hits := cacheCount(t, app.Handler, "hit"); hits != "1" {
		t.Errorf("cache hits = %s after the second request, want 1", hits)
	}
	// Different bytes, different strong validators: one per encoding.
	etag, gzTag := plain.Header().Get("ETag"), gz.Header().Get("ETag")
	if etag == "" || gzTag == "" || gzTag == etag || strings.HasPrefix(etag, "W/") {
		t.Fatalf("ETags %q (identity) and %q (gzip): want two strong ones", etag, gzTag)
	}
	if r := request(t, app.Handler, "/pairs/hanoi-milan", map[string]string{"If-None-Match": etag}); r.Code != http.StatusNotModified || r.Body.Len() != 0 {
		t.Errorf("If-None-Match with the current ETag = %d with %d bytes, want 304", r.Code, r.Body.Len())
	}
	if r := request(t, app.Handler, "/pairs/hanoi-milan", map[string]string{"If-None-Match": gzTag, "Accept-Encoding": "gzip"}); r.Code != http.StatusNotModified {
		t.Errorf("If-None-Match with the gzip ETag from a gzip client = %d, want 304", r.Code)
	}
	// Languages and themes are pages of their own; unknown query
	// parameters are not.
	vi := request(t, app.Handler, "/vi/pairs/hanoi-milan", nil)
	if !strings.Contains(vi.Body.String(), `lang="vi"`) {
		t.Error("the Vietnamese page came from the English cache entry")
	}
	request(t, app.Handler, "/pairs/hanoi-milan?utm_source=x", nil)
	if hits := cacheCount(t, app.Handler, "hit"); hits != "4" {
		t.Errorf("cache hits = %s, want 4 (an unknown query parameter shares the page)", hits)
	}
}

// publishHanoiValue stands in for an upload's publication: one new
// observation for Hanoi in one transaction with its change record.
func publishHanoiValue(t *testing.T, app *testapp.App, value float64) {
	t.Helper()
	ctx := context.Background()
	tx, err := app.DB.W.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var up int64
	if err := tx.Get(&up, `INSERT INTO uploads (kind, file_name, sha256, format, uploaded_by, created_at, status)
		VALUES ('file', 'test.csv', 'x', 'csv', 'test', '2026-11-01T12:00:00Z', 'published') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO observations (area_id, indicator_id, year, value, source_id, upload_id)
		SELECT a.id, i.id, 2021, CAST(? AS REAL), s.id, CAST(? AS INTEGER) FROM areas a, indicators i, sources s
		WHERE a.slug = 'hanoi' AND i.code = 'pm25_annual_mean' AND s.code = 'who_aaq_2022_v2022'`, value, up); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.RecordUploadChange(ctx, tx, up); err != nil {
		t.Fatal(err)
	}
	if err := app.Store.Commit(ctx, tx); err != nil {
		t.Fatal(err)
	}
}

func TestPageCacheDropsExactlyWhatAChangeTouches(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	pages := []string{"/pairs/hanoi-milan", "/pairs/ho-chi-minh-city-kosice", "/pairs/hanoi-milan/brief", "/pairs/ho-chi-minh-city-kosice/brief",
		"/cities/hanoi", "/cities/milan", "/indicators/pm25_annual_mean", "/indicators/no2_annual_mean", "/"}
	etags := map[string]string{}
	for _, p := range pages {
		etags[p] = request(t, app.Handler, p, nil).Header().Get("ETag")
	}
	publishHanoiValue(t, app, 61.5)
	// Every pair page places its cities among the programme's cities on
	// PM2.5: Hanoi's value is part of Ho Chi Minh City's rank line too.
	// A brief draws no rank lines: only Hanoi–Milan's changes.
	changed := map[string]bool{"/pairs/hanoi-milan": true, "/pairs/ho-chi-minh-city-kosice": true, "/pairs/hanoi-milan/brief": true,
		"/cities/hanoi": true, "/indicators/pm25_annual_mean": true, "/": true}
	for _, p := range pages {
		r := request(t, app.Handler, p, nil)
		same := r.Header().Get("ETag") == etags[p]
		if changed[p] && same {
			t.Errorf("%s was served from the cache after a change to Hanoi's PM2.5", p)
		}
		if !changed[p] && !same {
			t.Errorf("%s was rendered again though the change did not touch it", p)
		}
	}
	_, body, _ := get(t, app.Handler, "/pairs/hanoi-milan")
	c := cells(t, body, `<tr data-indicator="pm25_annual_mean">`)
	if !strings.Contains(c[1], "61.5") || !strings.Contains(c[1], "2021") {
		t.Errorf("after the change Hanoi's PM2.5 cell is %q, want 61.5 (2021)", c[1])
	}
}

// TestSignedInPagesAreNeverShared: a page seen by a signed-in officer
// carries their menu and CSRF token; the cache must not store it for, or
// serve another's to, anybody.
func TestSignedInPagesAreNeverShared(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	anon := a.client(t)
	anon.get("/pairs/hanoi-milan") // cached for readers
	staff := a.client(t)
	staff.login(adminEmail)
	r := staff.get("/pairs/hanoi-milan")
	if !strings.Contains(r.body, adminEmail) {
		t.Fatal("the signed-in page lacks its user's menu")
	}
	if cc := r.hdr.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("a signed-in page's Cache-Control is %q, want no-store", cc)
	}
	if cc := anon.get("/pairs/hanoi-milan").hdr.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("a reader's page's Cache-Control is %q, want no-cache", cc)
	}
	for _, c := range []*client{anon, a.client(t)} {
		if r := c.get("/pairs/hanoi-milan"); strings.Contains(r.body, adminEmail) || strings.Contains(r.body, staff.csrf) {
			t.Error("a reader got a page with the officer's menu or CSRF token")
		}
	}
}
