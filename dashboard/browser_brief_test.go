package dashboard_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// printableWidth is the width inside A4's margins of 12 mm each side,
// in CSS pixels (96 to the inch).
const printableWidth = (210.0 - 2*12) / 25.4 * 96

var pdfPageRe = regexp.MustCompile(`/Type\s*/Page[^s]`)

// printA4 prints the tab's page to PDF on A4 as Chromium's print
// dialog would, and counts its pages.
func (tab *browserTab) printA4() (pdf []byte, pages int) {
	t := tab.env.t
	t.Helper()
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
	return pdf, len(pdfPageRe.FindAll(pdf, -1))
}

// printWide lays the page out under its print styles at the printable
// width of A4, as a print does (its scripts told by 'beforeprint'), and
// names every element of main that reaches beyond it. The tab stays in
// print media.
func (tab *browserTab) printWide() []string {
	t := tab.env.t
	t.Helper()
	var wide []string
	if err := chromedp.Run(tab.ctx,
		emulation.SetEmulatedMedia().WithMedia("print"),
		emulation.SetDeviceMetricsOverride(int64(math.Floor(printableWidth)), 1100, 1, false),
		chromedp.Evaluate(`window.dispatchEvent(new Event('beforeprint'))`, nil),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('main *')).filter(el => {
			const r = el.getBoundingClientRect();
			return r.width > 1 && (r.right > `+strconv.FormatFloat(printableWidth, 'f', 2, 64)+` + 0.5 || r.left < -0.5);
		}).map(el => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className : '') +
			' ' + Math.round(el.getBoundingClientRect().right) + 'px')`, &wide),
	); err != nil {
		t.Fatal(err)
	}
	return wide
}

// recordPrintSizes keeps, for chartsCutOnPaper, the size each chart is
// drawn at for the next print, once 'beforeprint' has been handled: the
// print is laid out next, and the page's scripts cannot redraw before.
func (tab *browserTab) recordPrintSizes() {
	tab.env.t.Helper()
	if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`window.addEventListener('beforeprint', () => {
		window.drawnForPrint = Object.fromEntries(Array.from(document.querySelectorAll('.chart')).map(el => {
			const inst = echarts.getInstanceByDom(el);
			return [el.id, [inst.getWidth(), inst.getHeight()]];
		}));
	}, {once: true})`, nil)); err != nil {
		tab.env.t.Fatal(err)
	}
}

// chartsCutOnPaper names, after a print and printWide, the charts on
// paper that were drawn for the print larger than their box there: cut
// by it, or shrunk into it.
func (tab *browserTab) chartsCutOnPaper() []string {
	tab.env.t.Helper()
	var cut []string
	if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll('.chart')).filter(el => el.getClientRects().length > 0).flatMap(el => {
		const [w, h] = (window.drawnForPrint || {})[el.id] || [Infinity, Infinity], box = el.getBoundingClientRect();
		return w > box.width + 1 || h > box.height + 1 ?
			[el.id + ' drawn ' + w + '×' + h + ' for a box of ' + Math.round(box.width) + '×' + Math.round(box.height)] : [];
	})`, &cut)); err != nil {
		tab.env.t.Fatal(err)
	}
	return cut
}

// programmePairs are the codes of the programme pairs, as the API lists
// them.
func programmePairs(env *browserEnv) []string {
	env.t.Helper()
	var doc struct {
		Data []struct {
			Code string `json:"code"`
		} `json:"data"`
	}
	if err := json.Unmarshal(getBody(env.t, env.srv.URL+"/api/v1/pairs"), &doc); err != nil {
		env.t.Fatal(err)
	}
	var out []string
	for _, p := range doc.Data {
		out = append(out, p.Code)
	}
	if len(out) < 15 {
		env.t.Fatalf("the API lists %d programme pairs, want the seed's 15: %q", len(out), out)
	}
	return out
}

// printsOnTwoPages prints the tab's page (its charts drawn, its print
// sizes recorded) to PDF on A4 and fails for what a handout must not
// do: take more than two pages, reach beyond the printable width, cut
// or squeeze a chart, or leave off paper its line of data version,
// date and address (meta) or its sources (a list's items), or give one
// of their addresses relative. It returns how tall the page is laid out
// for paper, in CSS pixels, and leaves the tab in print media.
func (tab *browserTab) printsOnTwoPages(meta, sources string) (height float64) {
	t := tab.env.t
	t.Helper()
	pdf, n := tab.printA4()
	if n == 0 || n > 2 {
		t.Errorf("%s: printed on %d A4 pages, want 1 or 2", tab.path, n)
	}
	t.Logf("%s: %d A4 pages, %d bytes of PDF", tab.path, n, len(pdf))
	if dir := os.Getenv("TWINMETRICS_PDF_DIR"); dir != "" {
		name := strings.NewReplacer("/", "-", "?", "-", "=", "-").Replace(strings.Trim(tab.path, "/")) + ".pdf"
		if err := os.WriteFile(filepath.Join(dir, name), pdf, 0o644); err != nil {
			t.Error(err)
		}
	}
	for _, w := range tab.printWide() {
		t.Errorf("%s: printed, %s reaches beyond the printable width of %.0f px", tab.path, w, printableWidth)
	}
	for _, c := range tab.chartsCutOnPaper() {
		t.Errorf("%s: printed, chart %s: cut or squeezed on paper", tab.path, c)
	}
	var paper struct {
		Meta    string   `json:"meta"`
		MetaURL []string `json:"metaURL"`
		Sources int      `json:"sources"`
		URLs    []string `json:"urls"`
		Height  float64  `json:"height"`
	}
	shown := `el => el.getClientRects().length > 0`
	if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`(() => {
		const meta = Array.from(document.querySelectorAll(`+strconv.Quote(meta)+`)).filter(`+shown+`)[0];
		const items = Array.from(document.querySelectorAll(`+strconv.Quote(sources)+`)).filter(`+shown+`);
		return {
			meta: meta ? meta.textContent : '',
			metaURL: meta ? Array.from(meta.querySelectorAll('a')).map(a => a.getAttribute('href')) : [],
			sources: items.length,
			urls: items.flatMap(li => Array.from(li.querySelectorAll('a')).map(a => a.getAttribute('href'))),
			height: document.documentElement.scrollHeight,
		};
	})()`, &paper)); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`\d+\D+\d{4}-\d{2}-\d{2}`).MatchString(paper.Meta) || len(paper.MetaURL) == 0 {
		t.Errorf("%s: printed, the line of data version, date and address reads %q (addresses %q)", tab.path, strings.TrimSpace(paper.Meta), paper.MetaURL)
	}
	if paper.Sources == 0 {
		t.Errorf("%s: printed, no source is listed on paper", tab.path)
	}
	for _, h := range append(paper.MetaURL, paper.URLs...) {
		if !regexp.MustCompile(`^https?://`).MatchString(h) {
			t.Errorf("%s: printed, the address %q is not absolute", tab.path, h)
		}
	}
	return paper.Height
}

// fullest are the codes of the n pairs whose page is tallest on paper.
func fullest(heights map[string]float64, n int) []string {
	codes := slices.Collect(maps.Keys(heights))
	slices.SortFunc(codes, func(a, b string) int { return cmp.Or(cmp.Compare(heights[b], heights[a]), cmp.Compare(a, b)) })
	return codes[:min(n, len(codes))]
}

// TestBrowserBriefPrintsOnTwoPages prints the briefing of every
// programme pair to PDF in Chromium, in English, and the two that fill
// the most paper in Vietnamese too: at most two A4 pages each, no
// element wider than the printable width under the print styles, the
// charts within their boxes, and on paper the data version, its date,
// the permalink and the sources with absolute addresses. Hanoi–Milan's
// names both cities' commitments on paper.
func TestBrowserBriefPrintsOnTwoPages(t *testing.T) {
	t.Parallel()
	env := newBrowserEnv(t)
	var tab *browserTab
	heights := map[string]float64{}
	printPage := func(path string) float64 {
		tab = env.visit(tab, path)
		tab.checkCharts()
		tab.recordPrintSizes()
		h := tab.printsOnTwoPages(".brief-meta", ".brief-sources li")
		tab.checkClean()
		return h
	}
	for _, code := range programmePairs(env) {
		heights[code] = printPage("/en/pairs/" + code + "/brief")
		if code != "hanoi-milan" {
			continue
		}
		var commit []string
		if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll('.brief-commit-city')).filter(el => el.getClientRects().length > 0).map(el => el.textContent.replace(/\s+/g, ' ').trim())`, &commit)); err != nil {
			t.Fatal(err)
		}
		if len(commit) != 2 || !strings.HasPrefix(commit[0], "Hanoi Net zero by 2050") || !strings.Contains(commit[1], "−45 % by 2030 against 2005") {
			t.Errorf("%s: printed, the commitments read %q, want Hanoi's and Milan's", tab.path, commit)
		}
	}
	for _, code := range fullest(heights, 2) {
		printPage("/vi/pairs/" + code + "/brief")
	}
}

// TestBrowserPairPagePrints prints the Hanoi–Milan page itself (not its
// briefing) to A4 in Chromium, then every other programme pair's page
// (below): two pages at most, like the brief; no
// navigation, forms or buttons on paper, nothing wider than the
// printable width, the key charts drawn within their boxes, every source
// the page's values link to listed with absolute addresses (on paper,
// every source of the values printed), and the page's address, the data
// version with its date and the day it was printed.
func TestBrowserPairPagePrints(t *testing.T) {
	t.Parallel()
	env := newBrowserEnv(t)
	for _, path := range []string{"/en/pairs/hanoi-milan", "/vi/pairs/hanoi-milan"} {
		tab := env.open(path)
		tab.checkCharts()
		// On the screen every source the page's values link to is listed.
		var onScreen struct {
			Linked []string `json:"linked"`
			Listed []string `json:"listed"`
		}
		if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`({
			linked: Array.from(new Set(Array.from(document.querySelectorAll('main a[href*="#source-"]'))
				.filter(a => !a.closest('.page-sources')).map(a => a.getAttribute('href').split('#source-')[1]))),
			listed: Array.from(document.querySelectorAll('.page-sources a')).map(a => a.getAttribute('href')),
		})`, &onScreen)); err != nil {
			t.Fatal(err)
		}
		if len(onScreen.Linked) == 0 {
			t.Fatalf("%s: no value links to its source", path)
		}
		for _, code := range onScreen.Linked {
			if !slices.ContainsFunc(onScreen.Listed, func(h string) bool { return strings.HasSuffix(h, "/about#source-"+code) }) {
				t.Errorf("%s: the source %s of values on the page is not listed under them (listed: %q)", path, code, onScreen.Listed)
			}
		}
		tab.recordPrintSizes()
		tab.printsOnTwoPages(".page-meta", ".page-sources li")
		var onPaper struct {
			Shown   []string `json:"shown"`
			Linked  []string `json:"linked"`
			Listed  []string `json:"listed"`
			Printed []string `json:"printed"`
			Keys    []string `json:"keys"`
			Meta    string   `json:"meta"`
			MetaURL string   `json:"metaURL"`
			OG      string   `json:"og"`
		}
		if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`({
			shown: Array.from(document.querySelectorAll('nav, form, button, select, .no-print')).filter(el => el.getClientRects().length > 0)
				.map(el => el.tagName.toLowerCase() + (typeof el.className === 'string' && el.className ? '.' + el.className : '')),
			linked: Array.from(new Set(Array.from(document.querySelectorAll('main a[href*="#source-"]'))
				.filter(a => !a.closest('.page-sources') && a.getClientRects().length > 0).map(a => a.getAttribute('href').split('#source-')[1]))),
			listed: Array.from(document.querySelectorAll('.page-sources a')).filter(a => a.getClientRects().length > 0).map(a => a.getAttribute('href')),
			printed: Array.from(document.querySelectorAll('.page-meta [data-printed-on]')).filter(el => el.getClientRects().length > 0).map(el => el.textContent),
			keys: document.querySelectorAll('.chart').length ? Array.from(document.querySelectorAll('.chart')).filter(el => el.getClientRects().length > 0).map(el => el.id) : [],
			meta: (document.querySelector('.page-meta') || {}).textContent || '',
			metaURL: ((document.querySelector('.page-meta a') || {getAttribute: () => ''}).getAttribute('href')) || '',
			og: document.querySelector('meta[property="og:url"]').content,
		})`, &onPaper)); err != nil {
			t.Fatal(err)
		}
		for _, s := range onPaper.Shown {
			t.Errorf("%s: printed, %s is on paper", path, s)
		}
		// On paper every chart's legend is plain, every series named: a
		// pager cannot be clicked.
		var paged []string
		if err := chromedp.Run(tab.ctx, chromedp.Poll(`(() => {
			const paged = Array.from(document.querySelectorAll('.chart')).filter(el => {
				const o = echarts.getInstanceByDom(el).getOption();
				return (o.legend || []).some(l => l.show !== false && l.type !== 'plain');
			}).map(el => el.id);
			return paged.length ? false : [];
		})()`, &paged, chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			var now []string
			_ = chromedp.Run(tab.ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll('.chart')).filter(el => (echarts.getInstanceByDom(el).getOption().legend || []).some(l => l.show !== false && l.type !== 'plain')).map(el => el.id)`, &now))
			t.Errorf("%s: printed, charts %q keep a paged legend: %v", path, now, err)
		}
		if len(onPaper.Linked) == 0 {
			t.Fatalf("%s: printed, no value links to its source", path)
		}
		// The key charts the brief draws: the overview and the trend of
		// the headline indicator, each drawn at its size on paper.
		if want := []string{"chart_overview_hanoi_milan", "chart_line_hanoi_milan_pm25_annual_mean"}; !slices.Equal(onPaper.Keys, want) {
			t.Errorf("%s: printed, the charts on paper are %q, want %q", path, onPaper.Keys, want)
		}
		// The day printed is the reader's, not the day the cached page
		// was drawn.
		today := time.Now()
		if len(onPaper.Printed) != 1 || !slices.Contains([]string{today.AddDate(0, 0, -1).Format(time.DateOnly), today.Format(time.DateOnly), today.AddDate(0, 0, 1).Format(time.DateOnly)}, onPaper.Printed[0]) {
			t.Errorf("%s: printed, the day of printing reads %q, want today's", path, onPaper.Printed)
		}
		for _, code := range onPaper.Linked {
			if !slices.ContainsFunc(onPaper.Listed, func(h string) bool {
				return strings.HasSuffix(h, "/about#source-"+code) && regexp.MustCompile(`^https?://`).MatchString(h)
			}) {
				t.Errorf("%s: printed, the source %s of values on the page is not listed with an absolute address (listed: %q)", path, code, onPaper.Listed)
			}
		}
		for _, h := range onPaper.Listed {
			if !regexp.MustCompile(`^https?://`).MatchString(h) {
				t.Errorf("%s: printed, the source address %q is not absolute", path, h)
			}
		}
		var api struct {
			Meta struct {
				DataVersion string `json:"data_version"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(getBody(t, env.srv.URL+"/api/v1/sources"), &api); err != nil {
			t.Fatal(err)
		}
		if onPaper.MetaURL != onPaper.OG {
			t.Errorf("%s: printed, the page's address reads %q, want %q", path, onPaper.MetaURL, onPaper.OG)
		}
		if !strings.Contains(onPaper.Meta, api.Meta.DataVersion) || !regexp.MustCompile(`\d{4}-\d{2}-\d{2}`).MatchString(onPaper.Meta) {
			t.Errorf("%s: printed, the page says %q: want the data version %s and the date", path, onPaper.Meta, api.Meta.DataVersion)
		}
		tab.checkClean()
	}

	// Every other pair's page on two pages at most, in one tab: in
	// English, and the two that fill the most paper in Vietnamese too.
	var tab *browserTab
	printPage := func(path string) float64 {
		tab = env.visit(tab, path)
		tab.checkCharts()
		tab.recordPrintSizes()
		h := tab.printsOnTwoPages(".page-meta", ".page-sources li")
		// On paper a warning is named by the number of its note, and
		// every number has its note.
		var notes struct {
			Refs  []string `json:"refs"`
			Notes int      `json:"notes"`
			Full  int      `json:"full"`
		}
		if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`({
			refs: Array.from(document.querySelectorAll('.scorecard .note-ref')).filter(el => el.getClientRects().length > 0).map(el => el.textContent),
			notes: Array.from(document.querySelectorAll('.paper-warnings li')).filter(el => el.getClientRects().length > 0).length,
			full: Array.from(document.querySelectorAll('.scorecard .warn-full')).filter(el => el.getClientRects().length > 0).length,
		})`, &notes)); err != nil {
			t.Fatal(err)
		}
		for _, r := range notes.Refs {
			if n, err := strconv.Atoi(r); err != nil || n < 1 || n > notes.Notes {
				t.Errorf("%s: printed, a warning refers to note %q of %d", path, r, notes.Notes)
			}
		}
		if notes.Full > 0 {
			t.Errorf("%s: printed, %d warnings are written out in the scorecard rather than named by their note", path, notes.Full)
		}
		tab.checkClean()
		return h
	}
	heights := map[string]float64{}
	for _, code := range programmePairs(env) {
		if code != "hanoi-milan" {
			heights[code] = printPage("/en/pairs/" + code)
		}
	}
	for _, code := range fullest(heights, 2) {
		printPage("/vi/pairs/" + code)
	}
}
