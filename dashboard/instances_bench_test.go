package dashboard_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// BenchmarkInstances serves warm pages on PostgreSQL (skipped without
// TWINMETRICS_TEST_PG), from every core at once: /healthz (a round trip
// to the database) and the warm Hanoi–Milan page on one instance, and
// the same page from two instances on one database taking requests in
// turn. The warm page asks the database nothing (the versions are in
// memory, told by notifications), so its ratio to /healthz is the cost
// of serving from the cache against a round trip; two instances in one
// process share the same cores, so their pages/s together against one's
// says whether anything but the CPU bounds them. The same two answers
// from SQLite, in the same run, are the embedded engine's side.
func BenchmarkInstances(b *testing.B) {
	apps := testapp.Instances(b, 2, testapp.Options{})
	one := []http.Handler{apps[0].Handler}
	two := []http.Handler{apps[0].Handler, apps[1].Handler}
	lite := []http.Handler{testapp.New(b, testapp.Options{Engine: "sqlite"}).Handler}
	for _, c := range []struct {
		name string
		hs   []http.Handler
		url  string
	}{
		{"sqlite/healthz", lite, "/healthz"},
		{"sqlite/pair-warm", lite, "/pairs/hanoi-milan"},
		{"postgres/healthz/one", one, "/healthz"},
		{"postgres/pair-warm/one", one, "/pairs/hanoi-milan"},
		{"postgres/pair-warm/two", two, "/pairs/hanoi-milan"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for _, h := range c.hs {
				warm := httptest.NewRequest(http.MethodGet, c.url, nil)
				warm.Header.Set("Accept-Encoding", "gzip")
				h.ServeHTTP(httptest.NewRecorder(), warm)
			}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest(http.MethodGet, c.url, nil)
				req.Header.Set("Accept-Encoding", "gzip")
				for i := 0; pb.Next(); i++ {
					rec := httptest.NewRecorder()
					c.hs[i%len(c.hs)].ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("GET %s = %d", c.url, rec.Code)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
}
