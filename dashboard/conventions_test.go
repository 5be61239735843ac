package dashboard_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// fetch sends one request to a real server, without the client's own
// decompression, and returns the raw answer.
func fetch(t *testing.T, base, method, path string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

func assetPath(t *testing.T, base string) string {
	t.Helper()
	_, body := fetch(t, base, "GET", "/about", nil)
	m := regexp.MustCompile(`href="(/assets/app\.[0-9a-f]+\.css)"`).FindSubmatch(body)
	if m == nil {
		t.Fatal("no stylesheet link on /about")
	}
	return string(m[1])
}

// TestHeadAnswersLikeGet is `curl -I` on every route family: HEAD gets
// the status and headers GET gets, and no body, for clients that take
// gzip and for those that do not.
func TestHeadAnswersLikeGet(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	srv := httptest.NewServer(app.Handler)
	defer srv.Close()
	paths := []string{"/", "/vi/pairs/hanoi-milan", "/pairs/hanoi-milan", "/cities/hanoi", "/indicators",
		"/indicators/pm25_annual_mean", "/about", "/data", "/data?pair=hanoi-milan", "/data/download?format=csv&pair=hanoi-milan",
		"/data/download?format=xlsx&city=hanoi", "/data/download?format=json&city=kosice", "/data/download?format=datapackage&city=milan",
		"/data/download", "/api/v1", "/api/v1/openapi.json", "/api/v1/cities", "/api/v1/observations?city=hanoi",
		"/api/v1/observations?city=hanoi&format=csv", "/healthz", "/metrics", "/login", assetPath(t, srv.URL),
		"/pairs/no-such-pair", "/api/v1/nothing"}
	same := []string{"Content-Type", "Content-Encoding", "ETag", "Vary", "Cache-Control", "Content-Disposition",
		"Access-Control-Allow-Origin", "Content-Language", "Last-Modified"}
	for _, enc := range []string{"", "gzip", "br"} {
		for _, p := range paths {
			hdr := map[string]string{"Accept-Encoding": enc}
			g, gb := fetch(t, srv.URL, "GET", p, hdr)
			h, hb := fetch(t, srv.URL, "HEAD", p, hdr)
			name := "HEAD " + p + " (" + enc + ")"
			if h.StatusCode != g.StatusCode {
				t.Errorf("%s: %d, GET %d", name, h.StatusCode, g.StatusCode)
				continue
			}
			if len(hb) != 0 {
				t.Errorf("%s: %d body bytes", name, len(hb))
			}
			for _, k := range same {
				if k == "Cache-Control" && p == "/metrics" {
					continue
				}
				if h.Header.Get(k) != g.Header.Get(k) {
					t.Errorf("%s: %s %q, GET has %q", name, k, h.Header.Get(k), g.Header.Get(k))
				}
			}
			if g.Header.Get("Content-Length") != "" && h.Header.Get("Content-Length") != g.Header.Get("Content-Length") {
				t.Errorf("%s: Content-Length %q, GET has %q (%d bytes)", name, h.Header.Get("Content-Length"), g.Header.Get("Content-Length"), len(gb))
			}
			if g.StatusCode == 200 && strings.HasPrefix(p, "/pairs/") && len(gb) < 1000 {
				t.Errorf("GET %s: only %d bytes", p, len(gb))
			}
		}
	}
}

// TestEncodingsAndValidators: identity, gzip and brotli clients get the
// same page, each encoding with its own strong ETag; Vary says what an
// answer depends on and nothing more; If-None-Match: * and Range work on
// pages and the API alike.
func TestEncodingsAndValidators(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	srv := httptest.NewServer(app.Handler)
	defer srv.Close()

	plain, pb := fetch(t, srv.URL, "GET", "/pairs/hanoi-milan", nil)
	gz, gzb := fetch(t, srv.URL, "GET", "/pairs/hanoi-milan", map[string]string{"Accept-Encoding": "gzip"})
	br, brb := fetch(t, srv.URL, "GET", "/pairs/hanoi-milan", map[string]string{"Accept-Encoding": "gzip;q=0.8, br"})
	if plain.Header.Get("Content-Encoding") != "" || gz.Header.Get("Content-Encoding") != "gzip" || br.Header.Get("Content-Encoding") != "br" {
		t.Fatalf("encodings %q %q %q", plain.Header.Get("Content-Encoding"), gz.Header.Get("Content-Encoding"), br.Header.Get("Content-Encoding"))
	}
	if !bytes.Contains(pb, []byte("Hà Nội")) && !bytes.Contains(pb, []byte("Hanoi")) {
		t.Fatal("the identity page does not name Hanoi")
	}
	if got := gunzip(t, gzb); !bytes.Equal(got, pb) {
		t.Error("the gzip page differs from the identity page")
	}
	if got, err := io.ReadAll(brotli.NewReader(bytes.NewReader(brb))); err != nil || !bytes.Equal(got, pb) {
		t.Errorf("the brotli page differs from the identity page (%v)", err)
	}
	tags := map[string]bool{plain.Header.Get("ETag"): true, gz.Header.Get("ETag"): true, br.Header.Get("ETag"): true}
	if len(tags) != 3 {
		t.Errorf("ETags %v: want one per encoding", tags)
	}
	for tag := range tags {
		if strings.HasPrefix(tag, "W/") || tag == "" {
			t.Errorf("ETag %q: want strong", tag)
		}
	}
	// A client that refuses gzip gets identity.
	if r, _ := fetch(t, srv.URL, "GET", "/pairs/hanoi-milan", map[string]string{"Accept-Encoding": "gzip;q=0, br;q=0"}); r.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0, br;q=0 got %q", r.Header.Get("Content-Encoding"))
	}

	vary := func(path string, hdr map[string]string) string {
		r, _ := fetch(t, srv.URL, "GET", path, hdr)
		return strings.Join(r.Header.Values("Vary"), ", ")
	}
	for _, c := range []struct {
		path      string
		want, not []string
	}{
		{"/pairs/hanoi-milan", []string{"Accept-Encoding", "Accept-Language", "Cookie"}, nil},
		{"/vi/pairs/hanoi-milan", []string{"Accept-Encoding"}, []string{"Accept-Language", "Cookie"}},
		{"/api/v1/observations?city=hanoi", []string{"Accept", "Accept-Encoding"}, []string{"Cookie", "Accept-Language"}},
		{"/api/v1/cities", []string{"Accept-Encoding"}, []string{"Cookie", "Accept-Language", "Accept,"}},
		{"/data/download?format=csv&city=hanoi", []string{"Accept-Encoding"}, []string{"Cookie", "Accept-Language"}},
		{"/api/v1/openapi.json", []string{"Accept-Encoding"}, []string{"Cookie", "Accept-Language"}},
	} {
		for _, enc := range []string{"", "gzip"} {
			v := vary(c.path, map[string]string{"Accept-Encoding": enc}) + ","
			for _, w := range c.want {
				if !strings.Contains(v, w) {
					t.Errorf("%s (%q): Vary %q lacks %s", c.path, enc, v, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(v, n) {
					t.Errorf("%s (%q): Vary %q has %s", c.path, enc, v, n)
				}
			}
		}
	}

	// Validators on every cached family; If-None-Match: * matches any.
	for _, p := range []string{"/pairs/hanoi-milan", "/data", "/api/v1/openapi.json", "/api/v1/cities", "/data/download?format=csv&city=hanoi", assetPath(t, srv.URL)} {
		for _, enc := range []string{"", "gzip"} {
			r, _ := fetch(t, srv.URL, "GET", p, map[string]string{"Accept-Encoding": enc})
			tag := r.Header.Get("ETag")
			if tag == "" {
				t.Errorf("%s (%q): no ETag", p, enc)
				continue
			}
			for _, inm := range []string{tag, "*", `"other", ` + tag} {
				if r, b := fetch(t, srv.URL, "GET", p, map[string]string{"Accept-Encoding": enc, "If-None-Match": inm}); r.StatusCode != http.StatusNotModified || len(b) != 0 {
					t.Errorf("%s (%q) If-None-Match %s: %d with %d bytes", p, enc, inm, r.StatusCode, len(b))
				}
			}
			if r, _ := fetch(t, srv.URL, "GET", p, map[string]string{"Accept-Encoding": enc, "If-None-Match": `"other"`}); r.StatusCode != http.StatusOK {
				t.Errorf("%s (%q) If-None-Match of another version: %d", p, enc, r.StatusCode)
			}
		}
	}
	// Range on the identity bytes.
	if r, b := fetch(t, srv.URL, "GET", "/api/v1/cities", map[string]string{"Range": "bytes=0-99"}); r.StatusCode != http.StatusPartialContent || len(b) != 100 {
		t.Errorf("Range bytes=0-99: %d with %d bytes", r.StatusCode, len(b))
	}
	// Content negotiation honours q-values.
	for accept, csv := range map[string]bool{
		"text/csv": true, "application/json": false, "text/csv;q=0.5, application/json": false,
		"application/json;q=0.1, text/csv": true, "*/*": false, "text/*": true,
	} {
		r, _ := fetch(t, srv.URL, "GET", "/api/v1/observations?city=hanoi&limit=2", map[string]string{"Accept": accept})
		if got := strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv"); got != csv {
			t.Errorf("Accept %q: %s", accept, r.Header.Get("Content-Type"))
		}
	}
}

// TestMethodsCORSAndCanonicalAddresses: a wrong method on an API path is
// 405 with Allow; the public API and downloads are readable from other
// origins (preflight answered), staff routes are not; a trailing slash
// redirects to the one address.
func TestMethodsCORSAndCanonicalAddresses(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	srv := httptest.NewServer(app.Handler)
	defer srv.Close()

	for _, p := range []string{"/api/v1/cities", "/api/v1/observations", "/api/v1/openapi.json"} {
		r, b := fetch(t, srv.URL, "DELETE", p, nil)
		if r.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(r.Header.Get("Allow"), "GET") || !strings.Contains(r.Header.Get("Allow"), "HEAD") {
			t.Errorf("DELETE %s: %d, Allow %q", p, r.StatusCode, r.Header.Get("Allow"))
		}
		if r.Header.Get("Content-Type") != "application/problem+json" || !bytes.Contains(b, []byte(`"status":405`)) {
			t.Errorf("DELETE %s: %s %s", p, r.Header.Get("Content-Type"), b)
		}
	}
	if r, _ := fetch(t, srv.URL, "GET", "/api/v1/no-such-thing", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown API path: %d", r.StatusCode)
	}

	origin := map[string]string{"Origin": "http://notebook.example"}
	for _, p := range []string{"/api/v1/cities", "/api/v1/observations?city=hanoi", "/api/v1/openapi.json", "/data/download?format=csv&city=hanoi", "/api/v1/nothing"} {
		r, _ := fetch(t, srv.URL, "GET", p, origin)
		if r.Header.Get("Access-Control-Allow-Origin") != "*" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("GET %s from another origin: Allow-Origin %q, Allow-Credentials %q", p, r.Header.Get("Access-Control-Allow-Origin"), r.Header.Get("Access-Control-Allow-Credentials"))
		}
		pre, _ := fetch(t, srv.URL, "OPTIONS", p, map[string]string{"Origin": "http://notebook.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "if-none-match"})
		if pre.StatusCode != http.StatusNoContent || pre.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(pre.Header.Get("Access-Control-Allow-Methods"), "GET") ||
			!strings.Contains(strings.ToLower(pre.Header.Get("Access-Control-Allow-Headers")), "if-none-match") {
			t.Errorf("preflight %s: %d %v", p, pre.StatusCode, pre.Header)
		}
	}
	for _, p := range []string{"/admin/uploads", "/api/v1/uploads", "/api/v1/uploads/abc", "/login", "/pairs/hanoi-milan"} {
		for _, m := range []string{"GET", "OPTIONS"} {
			hdr := map[string]string{"Origin": "http://notebook.example", "Access-Control-Request-Method": "POST"}
			if r, _ := fetch(t, srv.URL, m, p, hdr); r.Header.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("%s %s from another origin: Access-Control-Allow-Origin %q", m, p, r.Header.Get("Access-Control-Allow-Origin"))
			}
		}
	}
	// A cross-site form post is refused before anything else.
	req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader("email=a&password=b"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST /login: %v %v", res, err)
	} else {
		res.Body.Close()
	}

	for from, to := range map[string]string{"/pairs/hanoi-milan/": "/pairs/hanoi-milan", "/vi/cities/hanoi/?x=1": "/vi/cities/hanoi?x=1",
		"/api/v1/cities/": "/api/v1/cities", "/about//": "/about"} {
		r, _ := fetch(t, srv.URL, "GET", from, nil)
		if r.StatusCode != http.StatusPermanentRedirect || r.Header.Get("Location") != to {
			t.Errorf("GET %s: %d to %q, want 308 to %s", from, r.StatusCode, r.Header.Get("Location"), to)
		}
	}
	if r, _ := fetch(t, srv.URL, "GET", "/vi/", nil); r.StatusCode != http.StatusOK {
		t.Errorf("/vi/: %d", r.StatusCode)
	}
	if r, _ := fetch(t, srv.URL, "GET", "//evil.example/", nil); r.StatusCode/100 == 3 {
		t.Errorf("//evil.example/ redirects to %q", r.Header.Get("Location"))
	}
	// Catalogue lists take no parameters, and say so; the list of areas
	// takes its pages' limit and cursor.
	if _, b := fetch(t, srv.URL, "GET", "/api/v1/pairs?foo=1", nil); !bytes.Contains(b, []byte("takes no query parameters")) {
		t.Errorf("?foo=1 on /api/v1/pairs: %s", b)
	}
	if _, b := fetch(t, srv.URL, "GET", "/api/v1/cities?foo=1", nil); !bytes.Contains(b, []byte("known ones are cursor, limit")) {
		t.Errorf("?foo=1 on /api/v1/cities: %s", b)
	}
	if _, b := fetch(t, srv.URL, "GET", "/api/v1/observations?foo=1", nil); !bytes.Contains(b, []byte("known ones are city, cursor, format, from, indicator, limit, pair, shown, source, theme, to")) {
		t.Errorf("?foo=1 on /api/v1/observations: %s", b)
	}
}

// TestConcurrentMissesRenderOnce: readers arriving together at a page no
// one has asked for yet wait for one render.
func TestConcurrentMissesRenderOnce(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := request(t, app.Handler, "/about", nil); r.Code != 200 {
				t.Errorf("/about: %d", r.Code)
			}
		}()
	}
	wg.Wait()
	if m, h := cacheCount(t, app.Handler, "miss"), cacheCount(t, app.Handler, "hit"); m != "1" || h != "11" {
		t.Errorf("12 concurrent readers: %s misses and %s hits, want 1 and 11", m, h)
	}
}

// TestMetricsLabelsAreBounded: invented methods and addresses do not
// make series; counters a dashboard reads exist from the start.
func TestMetricsLabelsAreBounded(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	srv := httptest.NewServer(app.Handler)
	defer srv.Close()
	_, before := fetch(t, srv.URL, "GET", "/metrics", nil)
	for _, w := range []string{`twinmetrics_uploads_total{outcome="published"} 0`, `twinmetrics_uploads_total{outcome="rolled_back"} 0`,
		`twinmetrics_response_cache_total{result="hit"} 0`} {
		if !bytes.Contains(before, []byte(w)) {
			t.Errorf("/metrics at start lacks %s", w)
		}
	}
	for _, m := range []string{"FOO1", "FOO2", "BREW"} {
		fetch(t, srv.URL, m, "/pairs/hanoi-milan", nil)
	}
	for _, p := range []string{"/no/such/page-1", "/no/such/page-2"} {
		fetch(t, srv.URL, "GET", p, nil)
	}
	r, body := fetch(t, srv.URL, "GET", "/metrics", map[string]string{"Accept-Encoding": "identity"})
	_ = r
	for _, bad := range []string{"FOO1", "BREW", "page-1", "/no/such"} {
		if bytes.Contains(body, []byte(bad)) {
			t.Errorf("/metrics has a label %q", bad)
		}
	}
	if !bytes.Contains(body, []byte(`method="other"`)) {
		t.Error("invented methods are not counted as other")
	}
	if r, _ := fetch(t, srv.URL, "GET", "/", nil); strings.Contains(r.Header.Get("Permissions-Policy"), "interest-cohort") {
		t.Errorf("Permissions-Policy %q still names FLoC", r.Header.Get("Permissions-Policy"))
	}
}

var _ = gzip.NewReader
