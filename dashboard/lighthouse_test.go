package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// lighthouseMin are the scores the Hanoi–Milan page must reach with
// Lighthouse's desktop preset.
var lighthouseMin = map[string]float64{
	"performance":    0.90,
	"accessibility":  0.95,
	"best-practices": 0.95,
	"seo":            0.95,
}

// mobilePerformanceMin is the performance floor as a phone. The page is a
// long document (a scorecard, commitments, a theme's trend charts with
// their tables: about 2,600 elements), and on a two-core machine
// Lighthouse's four-times slowed CPU puts its median at 0.85–0.89, from
// Total Blocking Time spent laying the document out (docs/PERFORMANCE.md).
// The floor catches what would make that worse (ECharts parsed before a
// chart is in view scored 0.74), not the spread of a timed run.
const mobilePerformanceMin = 0.80

// lighthouseFloor is the score a category must reach with a preset.
func lighthouseFloor(preset, category string) float64 {
	if preset == "mobile" && category == "performance" {
		return mobilePerformanceMin
	}
	return lighthouseMin[category]
}

// lighthouseCategories is lighthouseMin's keys in Lighthouse's order.
var lighthouseCategories = []string{"performance", "accessibility", "best-practices", "seo"}

type lighthouseReport struct {
	RuntimeError *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"runtimeError"`
	RunWarnings []string `json:"runWarnings"`
	Categories  map[string]struct {
		Score     *float64 `json:"score"`
		AuditRefs []struct {
			ID     string  `json:"id"`
			Weight float64 `json:"weight"`
		} `json:"auditRefs"`
	} `json:"categories"`
	Audits map[string]struct {
		Title        string   `json:"title"`
		Score        *float64 `json:"score"`
		DisplayValue string   `json:"displayValue"`
	} `json:"audits"`
}

func (r *lighthouseReport) score(cat string) float64 {
	if c, ok := r.Categories[cat]; ok && c.Score != nil {
		return *c.Score
	}
	return -1
}

// lost lists the weighted audits of a category that did not score 1.
func (r *lighthouseReport) lost(cat string) string {
	var b strings.Builder
	for _, ref := range r.Categories[cat].AuditRefs {
		a, ok := r.Audits[ref.ID]
		if !ok || ref.Weight == 0 || a.Score == nil || *a.Score >= 1 {
			continue
		}
		fmt.Fprintf(&b, "\n    %s %.2f (weight %g): %s %s", ref.ID, *a.Score, ref.Weight, a.Title, a.DisplayValue)
	}
	return b.String()
}

// lighthouseAttempts bounds the tries of one Lighthouse run. Lighthouse
// sometimes fails to record its trace of the load (NO_NAVSTART, NO_FCP:
// "please run Lighthouse again"); such a run says nothing about the page,
// so it is tried again.
const lighthouseAttempts = 3

// runLighthouse runs the Lighthouse CLI from node_modules on url with a
// preset (desktop, or mobile: a mid-range phone on a slow 4G connection,
// Lighthouse's default) in Debian's Chromium and returns its report,
// trying again when Lighthouse itself fails.
func runLighthouse(t *testing.T, cli, url, preset string, run int) *lighthouseReport {
	t.Helper()
	var errs []string
	for attempt := 1; attempt <= lighthouseAttempts; attempt++ {
		start := time.Now()
		r, err := lighthouseOnce(cli, url, preset, filepath.Join(t.TempDir(), fmt.Sprintf("lighthouse-%s-%d-%d.json", preset, run, attempt)))
		if err != nil {
			t.Logf("Lighthouse run %d, attempt %d: %v", run, attempt, err)
			errs = append(errs, err.Error())
			continue
		}
		for _, w := range r.RunWarnings {
			t.Logf("lighthouse warning: %s", w)
		}
		var scores []string
		for _, c := range lighthouseCategories {
			scores = append(scores, fmt.Sprintf("%s %.2f", c, r.score(c)))
		}
		t.Logf("Lighthouse run %d (%s) on %s after %v: %s", run, preset, url, time.Since(start).Round(time.Second), strings.Join(scores, ", "))
		return r
	}
	t.Fatalf("Lighthouse failed %d times on %s:\n%s", lighthouseAttempts, url, strings.Join(errs, "\n"))
	return nil
}

// lighthouseOnce runs Lighthouse once, writing its JSON report to out.
func lighthouseOnce(cli, url, preset, out string) (*lighthouseReport, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{cli, url}
	if preset == "desktop" {
		args = append(args, "--preset=desktop")
	} else {
		args = append(args, "--form-factor=mobile")
	}
	cmd := exec.CommandContext(ctx, "node", append(args,
		"--only-categories="+strings.Join(lighthouseCategories, ","),
		"--output=json", "--output-path="+out,
		"--quiet",
		"--disable-full-page-screenshot",
		"--max-wait-for-load=60000",
		// The same switches as the chromedp tests: Chromium refuses to run
		// as root without --no-sandbox, and nothing may reach the network.
		"--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage "+
			"--disable-background-networking --disable-component-update --disable-sync "+
			"--disable-default-apps --disable-extensions --no-first-run --mute-audio",
	)...)
	cmd.Env = append(os.Environ(), "CHROME_PATH="+browserPath)
	msg, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%v\n%s", err, msg)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("no report: %v\n%s", err, msg)
	}
	var r lighthouseReport
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decoding the report: %v", err)
	}
	if r.RuntimeError != nil && r.RuntimeError.Code != "" {
		return nil, fmt.Errorf("%s: %s", r.RuntimeError.Code, r.RuntimeError.Message)
	}
	return &r, nil
}

// TestLighthousePairPage runs Lighthouse (npm lighthouse@12, Debian's
// Chromium) on the Hanoi–Milan page served on 127.0.0.1, with the desktop
// preset and then as a phone (Lighthouse's mobile emulation: a mid-range
// phone, slow 4G, a slowed CPU), and wants at least 0.95 for
// accessibility, best practices and SEO in each, and for performance 0.90
// on a desktop and mobilePerformanceMin as a phone. Performance is timed
// and so varies from run to run: when it alone falls short, Lighthouse
// runs twice more and the median of the three counts, as Lighthouse's
// documentation advises. `make test` runs it on its own after every other
// test, without the race detector: timed beside other packages' tests it
// measured the machine's load (Lighthouse warned of a slow CPU), not the
// page.
func TestLighthousePairPage(t *testing.T) {
	// Not parallel: performance is measured, and the package's parallel
	// browser tests would compete with it for the CPU.
	requireChromium(t)
	lookPath(t, "node", "install Node.js")
	cli := nodeModule(t, "lighthouse/cli/index.js")

	app := testapp.New(t, testapp.Options{})
	srv := httptest.NewServer(app.Handler) // a real listener on 127.0.0.1
	t.Cleanup(srv.Close)
	url := srv.URL + "/pairs/hanoi-milan"

	for _, preset := range []string{"desktop", "mobile"} {
		r := runLighthouse(t, cli, url, preset, 1)
		perf := r.score("performance")
		othersOK := true
		for _, c := range lighthouseCategories[1:] {
			if r.score(c) < lighthouseFloor(preset, c) {
				othersOK = false
			}
		}
		if perf < lighthouseFloor(preset, "performance") && othersOK {
			runs := []float64{perf}
			for i := 2; i <= 3; i++ {
				runs = append(runs, runLighthouse(t, cli, url, preset, i).score("performance"))
			}
			sort.Float64s(runs)
			perf = runs[1]
			t.Logf("%s performance in three runs %v: median %.2f", preset, runs, perf)
		}

		t.Logf("Lighthouse scores (%s) for /pairs/hanoi-milan: performance %.2f, accessibility %.2f, best practices %.2f, SEO %.2f",
			preset, perf, r.score("accessibility"), r.score("best-practices"), r.score("seo"))
		for _, c := range lighthouseCategories {
			got := r.score(c)
			if c == "performance" {
				got = perf
			}
			if min := lighthouseFloor(preset, c); got < min {
				t.Errorf("Lighthouse %s %s score %.2f, want ≥ %.2f; audits that lost points:%s", preset, c, got, min, r.lost(c))
			}
		}
		if !slices.Equal(sortedKeys(lighthouseMin), sortedKeys(r.Categories)) {
			t.Errorf("Lighthouse report has categories %q, want %q", sortedKeys(r.Categories), sortedKeys(lighthouseMin))
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
