package dashboard_test

import (
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	for _, url := range []string{"/", "/pairs/hanoi-milan", "/vi/cities/hanoi", "/indicators", "/indicators/pm25_annual_mean", "/about", "/pairs/nowhere", "/healthz"} {
		_, _, h := get(t, app.Handler, url)
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", url, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline or eval'd script: %q", url, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: nosniff %q, referrer policy %q", url, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
	}
}
