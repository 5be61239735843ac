package dashboard_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
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
// on every request: catalogue, observations, headline rule, scorecard,
// charts and template. There is no page cache yet, so every render is
// cold.
func BenchmarkPairPageCold(b *testing.B) {
	app := testapp.New(b, testapp.Options{})
	benchGet(b, app.Handler, "/pairs/hanoi-milan")
}

// BenchmarkOverviewPage renders the list of pairs with their headlines.
func BenchmarkOverviewPage(b *testing.B) {
	app := testapp.New(b, testapp.Options{})
	benchGet(b, app.Handler, "/")
}
