package dashboard_test

// The tools the browser and quality tests drive (Debian's Chromium,
// Node.js and the npm packages `make assets` installs) and the one rule
// for a missing tool: skip on a developer's machine, fail where CI is
// set, because CI must run these tests.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const (
	browserPath        = "/usr/bin/chromium"
	browserPageTimeout = 30 * time.Second
)

// requireTool does nothing when err is nil. Otherwise the tool is missing:
// it skips the test when CI is empty and fails it when CI is set.
func requireTool(t testing.TB, what, how string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "" {
		t.Skipf("%s missing (%v): %s (with CI set this fails instead)", what, err, how)
	}
	t.Fatalf("%s missing (%v) and CI is set: %s", what, err, how)
}

// requireChromium skips or fails, by requireTool's rule, without
// Debian's Chromium.
func requireChromium(t testing.TB) {
	t.Helper()
	_, err := os.Stat(browserPath)
	requireTool(t, browserPath, "install Debian's chromium package", err)
}

// nodeModule is the path of a file of an npm package that `make assets`
// (npm ci) installs from package-lock.json.
func nodeModule(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join("..", "node_modules", filepath.FromSlash(rel))
	_, err := os.Stat(p)
	requireTool(t, p, "run `make assets` (npm ci from package-lock.json)", err)
	return p
}

// lookPath finds a program on PATH, with requireTool's rules.
func lookPath(t testing.TB, name, how string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	requireTool(t, name, how, err)
	return p
}

// startChromium starts headless Chromium with a fresh profile and
// returns the browser's context; tabs are new chromedp contexts of it.
// The browser and its profile go when the test ends.
func startChromium(t testing.TB) context.Context {
	t.Helper()
	requireChromium(t)
	// Not t.TempDir: Chromium's helper processes may still be writing
	// the profile when the test ends, and a failed removal fails the test.
	profile, err := os.MkdirTemp("", "twinmetrics-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browserPath),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox, // Chromium refuses to run as root without it
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1280, 1024),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browse, cancelBrowse := chromedp.NewContext(allocCtx,
		chromedp.WithErrorf(func(format string, args ...any) {
			// chromedp reports protocol messages it cannot decode here
			// (this cdproto predates some event fields of Debian's
			// Chromium); they are about chromedp, not the page, so they
			// are only logged.
			t.Logf("chromedp: "+format, args...)
		}))
	t.Cleanup(func() {
		cancelBrowse()
		cancelAlloc()
		// Best effort, retried while Chromium lets go of its files.
		for i := 0; i < 20 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	// Start the browser now, so a Chromium that cannot start fails here
	// with a clear message. The first Run must not carry a deadline (that
	// would end the browser with it), so the wait is bounded outside.
	started := make(chan error, 1)
	go func() { started <- chromedp.Run(browse) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting %s: %v", browserPath, err)
		}
	case <-time.After(browserPageTimeout):
		cancelBrowse()
		t.Fatalf("starting %s: no browser after %v", browserPath, browserPageTimeout)
	}
	return browse
}

// navigating runs an action that makes the page load another one (a
// form's submit, a link, an upload the page's script follows to its
// preview) and returns when that page has loaded. The next action then
// queries the new document: chained straight after the click, a query
// could find a node in a document Chromium was still replacing, and the
// action after it failed with "Could not find node with given id".
func navigating(a chromedp.Action) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := chromedp.RunResponse(ctx, a)
		return err
	})
}
