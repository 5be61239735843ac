package dashboard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// benchGet serves url through the whole handler b.N times.
func benchGet(b *testing.B, h http.Handler, url string) {
	b.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s = %d", url, rec.Code)
		}
	}
}

// BenchmarkBaselineHealthz is the yardstick: a trivial handler (one
// SELECT 1) through the same server stack, measured in the same run.
func BenchmarkBaselineHealthz(b *testing.B) {
	app := testapp.New(b, testapp.Options{})
	benchGet(b, app.Handler, "/healthz")
}

// BenchmarkPairPageCold renders the Hanoi–Milan page from the database
// on every request: observations, headline rule, scorecard, charts,
// template and compression. Before each request (outside the timer) a
// change to Hanoi's values invalidates the page, as a publication would.
// With TWINMETRICS_TEST_PG it runs on both engines, side by side.
func BenchmarkPairPageCold(b *testing.B) {
	benchPairCold(b, "/pairs/hanoi-milan")
}

// BenchmarkPairPagePinned is PairPageCold for the page pinned to the
// seed's data version (?v=1), older than the current one: the values as
// they were then, and the notice of what changed since.
func BenchmarkPairPagePinned(b *testing.B) {
	benchPairCold(b, "/pairs/hanoi-milan?v=1")
}

// benchPairCold renders url on each engine, side by side.
func benchPairCold(b *testing.B, url string) {
	for _, engine := range testapp.Engines() {
		b.Run(engine, func(b *testing.B) { benchPairPageCold(b, engine, url) })
	}
}

func benchPairPageCold(b *testing.B, engine, url string) {
	app := testapp.New(b, testapp.Options{Engine: engine})
	req := httptest.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	ctx := context.Background()
	var hanoi int64
	if err := app.DB.R.Get(&hanoi, "SELECT id FROM areas WHERE slug = 'hanoi'"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tx, err := app.DB.W.BeginTxx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := metrics.RecordChange(ctx, tx, []int64{hanoi}, nil); err != nil {
			b.Fatal(err)
		}
		if err := app.Store.Commit(ctx, tx); err != nil {
			b.Fatal(err)
		}
		rec := httptest.NewRecorder()
		b.StartTimer()
		app.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET = %d", rec.Code)
		}
	}
}

// BenchmarkPairPageWarm serves the same page from the response cache,
// compressed, as readers after the first get it.
func BenchmarkPairPageWarm(b *testing.B) {
	app := testapp.New(b, testapp.Options{})
	req := httptest.NewRequest(http.MethodGet, "/pairs/hanoi-milan", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	app.Handler.ServeHTTP(httptest.NewRecorder(), req)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		app.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "gzip" {
			b.Fatalf("GET = %d %q", rec.Code, rec.Header().Get("Content-Encoding"))
		}
	}
}

// BenchmarkPairPageWarmIdentity is the same page for a client that
// takes no compression (curl, many bots): the identity bytes are kept
// in the entry, not decompressed per request.
func BenchmarkPairPageWarmIdentity(b *testing.B) {
	app := testapp.New(b, testapp.Options{})
	req := httptest.NewRequest(http.MethodGet, "/pairs/hanoi-milan", nil)
	app.Handler.ServeHTTP(httptest.NewRecorder(), req)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := httptest.NewRecorder()
		app.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "" || rec.Body.Len() < 10000 {
			b.Fatalf("GET = %d %q, %d bytes", rec.Code, rec.Header().Get("Content-Encoding"), rec.Body.Len())
		}
	}
}

// BenchmarkOverviewPage renders the list of pairs with their headlines.
func BenchmarkOverviewPage(b *testing.B) {
	app := testapp.New(b, testapp.Options{})
	benchGet(b, app.Handler, "/")
}
