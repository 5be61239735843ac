package dashboard_test

import (
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// pairRequests reads the request counter of the pair page from /metrics,
// parsing the exposition format as Prometheus would.
func pairRequests(t *testing.T, body string) float64 {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	fam, ok := fams["twinmetrics_http_requests_total"]
	if !ok {
		return 0
	}
	total := 0.0
	for _, m := range fam.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["route"] == "/pairs/:slug" && labels["status"] == "200" {
			total += m.GetCounter().GetValue()
		}
	}
	return total
}

func TestMetricsCountRequests(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, body, h := get(t, app.Handler, "/metrics")
	if !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Errorf("/metrics content type %q", h.Get("Content-Type"))
	}
	before := pairRequests(t, body)
	for i := 0; i < 3; i++ {
		get(t, app.Handler, "/pairs/hanoi-milan")
	}
	_, body, _ = get(t, app.Handler, "/metrics")
	if after := pairRequests(t, body); after != before+3 {
		t.Errorf("pair page requests went from %v to %v, want +3", before, after)
	}
	for _, want := range []string{"twinmetrics_http_request_duration_seconds_bucket", "twinmetrics_data_version", "go_sql_open_connections", "process_resident_memory_bytes"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
