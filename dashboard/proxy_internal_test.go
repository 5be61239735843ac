package dashboard

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestClientAddressBehindProxies: the per-address limits count the
// address clientIPExtractor gives. A client that is not a configured
// proxy (a private or loopback address included, as in the attack) is
// counted by its connection, whatever X-Forwarded-For it forges; behind
// a configured proxy the right-most hop that is not a proxy counts, so
// addresses a client puts in front of its own are ignored.
func TestClientAddressBehindProxies(t *testing.T) {
	proxies, err := ParseProxies("192.0.2.10, 2001:db8::/32,10.9.0.0/16")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		proxies bool
		remote  string
		xff     string
		want    string
	}{
		{"no proxy configured: the header is ignored", false, "203.0.113.5:4000", "198.51.100.1", "203.0.113.5"},
		{"no proxy configured, private client forging", false, "10.0.0.8:4000", "198.51.100.1", "10.0.0.8"},
		{"a private address that is not a proxy forging", true, "10.0.0.8:4000", "198.51.100.1", "10.0.0.8"},
		{"loopback that is not a proxy forging", true, "127.0.0.1:4000", "198.51.100.2", "127.0.0.1"},
		{"through the proxy", true, "192.0.2.10:4000", "198.51.100.7", "198.51.100.7"},
		{"through the proxy, a forged hop in front", true, "192.0.2.10:4000", "10.1.1.1, 198.51.100.7", "198.51.100.7"},
		{"through two proxies", true, "192.0.2.10:4000", "1.2.3.4, 198.51.100.7, 10.9.3.3", "198.51.100.7"},
		{"through the IPv6 proxy", true, "[2001:db8::5]:4000", "2001:db8:ffff::1, 2a00:1450::1", "2a00:1450::1"},
		{"through the proxy, garbage in the header", true, "192.0.2.10:4000", "not-an-address", "192.0.2.10"},
	}
	for _, tc := range cases {
		var ps []*net.IPNet
		if tc.proxies {
			ps = proxies
		}
		e := echo.New()
		e.IPExtractor = clientIPExtractor(ps)
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = tc.remote
		req.Header.Set("X-Forwarded-For", tc.xff)
		if got := e.NewContext(req, httptest.NewRecorder()).RealIP(); got != tc.want {
			t.Errorf("%s: client %s, want %s", tc.name, got, tc.want)
		}
	}
	for _, bad := range []string{"", "1", "10.0.0.0/33", "proxy.example"} {
		if _, err := ParseProxies(bad); err == nil {
			t.Errorf("ParseProxies(%q) accepted", bad)
		}
	}
}
