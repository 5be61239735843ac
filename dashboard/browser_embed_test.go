package dashboard_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
)

// TestBrowserEmbedOnAnotherSite frames the Hanoi–Milan PM2.5 chart in a
// page served from another local port, as another site would: Chromium
// draws the chart inside the frame.
func TestBrowserEmbedOnAnotherSite(t *testing.T) {
	t.Parallel()
	env := newBrowserEnv(t)
	src := env.srv.URL + "/embed/pairs/hanoi-milan/pm25_annual_mean"
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>Another site</title><h1>A report</h1>`+
			`<iframe src="%s" title="PM2.5" width="640" height="520"></iframe>`, html.EscapeString(src))
	}))
	t.Cleanup(other.Close)

	ctx, cancel := context.WithTimeout(env.browse, browserPageTimeout)
	defer cancel()
	var frames []*cdp.Node
	var ready, chartReady string
	err := chromedp.Run(ctx,
		chromedp.Navigate(other.URL),
		chromedp.Nodes("iframe", &frames, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("opening the other site: %v", err)
	}
	err = chromedp.Run(ctx,
		chromedp.WaitVisible(`html[data-charts-ready="1"]`, chromedp.ByQuery, chromedp.FromNode(frames[0])),
		chromedp.AttributeValue(`html`, "data-charts-ready", &ready, nil, chromedp.ByQuery, chromedp.FromNode(frames[0])),
		chromedp.AttributeValue(`#chart_line_hanoi_milan_pm25_annual_mean`, "data-chart-ready", &chartReady, nil, chromedp.ByQuery, chromedp.FromNode(frames[0])),
	)
	if err != nil {
		t.Fatalf("the framed chart was not drawn: %v", err)
	}
	if chartReady != "1" {
		t.Errorf("framed chart: data-chart-ready=%q, want 1", chartReady)
	}
}
