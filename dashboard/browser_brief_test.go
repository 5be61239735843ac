package dashboard_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// printableWidth is the width inside A4's margins of 12 mm each side,
// in CSS pixels (96 to the inch).
const printableWidth = (210.0 - 2*12) / 25.4 * 96

var pdfPageRe = regexp.MustCompile(`/Type\s*/Page[^s]`)

// TestBrowserBriefPrintsOnTwoPages prints the Hanoi–Milan briefing to
// PDF in Chromium: at most two A4 pages, and under the print styles no
// element is wider than the printable width.
func TestBrowserBriefPrintsOnTwoPages(t *testing.T) {
	t.Parallel()
	env := newBrowserEnv(t)
	tab := env.open("/pairs/hanoi-milan/brief")
	tab.checkCharts()
	var pdf []byte
	if err := chromedp.Run(tab.ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		pdf, _, err = page.PrintToPDF().WithPaperWidth(210 / 25.4).WithPaperHeight(297 / 25.4).
			WithPreferCSSPageSize(true).WithPrintBackground(false).Do(ctx)
		return err
	})); err != nil {
		t.Fatalf("%s: printing to PDF: %v", tab.path, err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("%s: the print is not a PDF", tab.path)
	}
	n := len(pdfPageRe.FindAll(pdf, -1))
	if n == 0 || n > 2 {
		t.Errorf("%s: printed on %d A4 pages, want 1 or 2", tab.path, n)
	}
	t.Logf("%s: %d A4 pages, %d bytes of PDF", tab.path, n, len(pdf))
	if dir := os.Getenv("TWINMETRICS_PDF_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, "brief-hanoi-milan.pdf"), pdf, 0o644); err != nil {
			t.Error(err)
		}
	}

	var wide []string
	if err := chromedp.Run(tab.ctx,
		emulation.SetEmulatedMedia().WithMedia("print"),
		emulation.SetDeviceMetricsOverride(int64(math.Floor(printableWidth)), 1100, 1, false),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('main *')).filter(el => {
			const r = el.getBoundingClientRect();
			return r.width > 1 && (r.right > `+strconv.FormatFloat(printableWidth, 'f', 2, 64)+` + 0.5 || r.left < -0.5);
		}).map(el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className : '') +
			' ' + Math.round(el.getBoundingClientRect().right) + 'px')`, &wide),
	); err != nil {
		t.Fatal(err)
	}
	for _, w := range wide {
		t.Errorf("%s: printed, %s reaches beyond the printable width of %.0f px", tab.path, w, printableWidth)
	}
	// The handout names its sources with absolute addresses.
	var hrefs []string
	if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll('.brief-sources a, .brief-meta a')).map(a => a.getAttribute('href'))`, &hrefs)); err != nil {
		t.Fatal(err)
	}
	if len(hrefs) < 3 {
		t.Errorf("%s: %d addresses among the sources and the permalink, want the page's and each source's", tab.path, len(hrefs))
	}
	for _, h := range hrefs {
		if !regexp.MustCompile(`^https?://`).MatchString(h) {
			t.Errorf("%s: address %q is not absolute", tab.path, h)
		}
	}
	tab.checkClean()
}
