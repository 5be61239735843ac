package dashboard

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// telemetry holds the operator's figures, exposed at /metrics in the
// Prometheus text format. Each server has its own registry: no global
// state, and tests can run servers side by side.
type telemetry struct {
	reg *prometheus.Registry
	// routes are the registered route patterns, the only route labels.
	routes   map[string]bool
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// Uploads counts published and rolled-back uploads by outcome.
	Uploads *prometheus.CounterVec
	// Cache counts response cache hits and misses.
	Cache *prometheus.CounterVec
}

func newTelemetry(store *metrics.Store, cache *respCache) *telemetry {
	t := &telemetry{reg: prometheus.NewRegistry()}
	t.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "twinmetrics_http_requests_total",
		Help: "HTTP requests answered, by route, method and status.",
	}, []string{"route", "method", "status"})
	t.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "twinmetrics_http_request_duration_seconds",
		Help:    "Time to answer HTTP requests, by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route"})
	t.Uploads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "twinmetrics_uploads_total",
		Help: "Uploads published or rolled back.",
	}, []string{"outcome"})
	t.Cache = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "twinmetrics_response_cache_total",
		Help: "Response cache lookups (pages, API, downloads), by result (hit or miss).",
	}, []string{"result"})
	cacheEntries := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "twinmetrics_response_cache_entries",
		Help: "Answers held by the response cache.",
	}, func() float64 { n, _ := cache.stats(); return float64(n) })
	cacheBytes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "twinmetrics_response_cache_bytes",
		Help: "Bytes held by the response cache, every encoding counted.",
	}, func() float64 { _, b := cache.stats(); return float64(b) })
	// Every series a dashboard reads exists from the start, at zero.
	for _, o := range []string{"published", "rolled_back"} {
		t.Uploads.WithLabelValues(o)
	}
	for _, r := range []string{"hit", "miss"} {
		t.Cache.WithLabelValues(r)
	}
	dataVersion := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "twinmetrics_data_version",
		Help: "The data version: bumped by every change to the data.",
	}, func() float64 {
		v, err := store.DataVersion(context.Background())
		if err != nil {
			return -1
		}
		return float64(v)
	})
	t.reg.MustRegister(t.requests, t.latency, t.Uploads, t.Cache, cacheEntries, cacheBytes, dataVersion,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(store.DB().W.DB, "writer"),
		collectors.NewDBStatsCollector(store.DB().R.DB, "readers"))
	return t
}

// observe records every request by its route pattern (not its address,
// which would make a series per slug).
func (t *telemetry) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return whenAnswered(next, func(c echo.Context, took time.Duration) {
		route := c.Path()
		if !t.routes[route] {
			route = "unmatched"
		}
		t.requests.WithLabelValues(route, methodLabel(c.Request().Method), strconv.Itoa(c.Response().Status)).Inc()
		t.latency.WithLabelValues(route).Observe(took.Seconds())
	})
}

// methodLabel keeps the method label to the methods HTTP defines: a
// client inventing methods must not invent series.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

// knowRoutes takes the route patterns once every route is registered.
func (t *telemetry) knowRoutes(e *echo.Echo) {
	t.routes = map[string]bool{}
	for _, r := range e.Routes() {
		if r.Method != echo.RouteNotFound {
			t.routes[r.Path] = true
		}
	}
}

func (t *telemetry) handler() echo.HandlerFunc {
	return echo.WrapHandler(promhttp.HandlerFor(t.reg, promhttp.HandlerOpts{}))
}
