package dashboard_test

// Browser tests: the real pages, served by the real handler over a seeded
// temporary database, loaded in headless Chromium through chromedp. They
// check what only a browser can: that charts.js draws every chart, that the
// numbers ECharts ends up holding are the seeded ones (missing years stay
// missing), and that a page neither logs errors nor reaches beyond the test
// server.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// browserEnv is one Chromium process and one test server for a test; each
// page gets its own tab.
type browserEnv struct {
	t      *testing.T
	srv    *httptest.Server
	host   string // 127.0.0.1:port of srv
	browse context.Context
}

// newBrowserEnv starts the test server and Chromium. Without Chromium it
// skips the test, unless CI is set: CI must run these tests.
func newBrowserEnv(t *testing.T) *browserEnv {
	t.Helper()
	return newBrowserEnvWith(t, testapp.Options{})
}

// newBrowserEnvWith is newBrowserEnv over an app built with opts (another
// seed, say).
func newBrowserEnvWith(t *testing.T, opts testapp.Options) *browserEnv {
	t.Helper()
	requireChromium(t)
	app := testapp.New(t, opts)
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &browserEnv{t: t, srv: srv, host: u.Host, browse: startChromium(t)}
}

// pageProblems collects what a page did wrong, from the event listener
// goroutine.
type pageProblems struct {
	mu      sync.Mutex
	errors  []string // console errors, uncaught exceptions, error log entries
	foreign []string // requests to anything but the test server
}

func (p *pageProblems) addError(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errors = append(p.errors, fmt.Sprintf(format, args...))
}

func (p *pageProblems) addForeign(u string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !slices.Contains(p.foreign, u) {
		p.foreign = append(p.foreign, u)
	}
}

// browserTab is one page loaded in its own tab; load takes the tab to
// another page.
type browserTab struct {
	env      *browserEnv
	ctx      context.Context
	tabCtx   context.Context
	path     string
	problems *pageProblems
}

// visit loads path in tab, or opens a tab on it when there is none
// yet: many pages in one tab.
func (e *browserEnv) visit(tab *browserTab, path string) *browserTab {
	if tab == nil {
		return e.open(path)
	}
	tab.load(path)
	return tab
}

// open loads path in a new tab, listening for errors and foreign requests
// from before the navigation, and waits until charts.js says every chart
// has been drawn. Actions in before run in the tab before the navigation
// (a viewport size, say).
func (e *browserEnv) open(path string, before ...chromedp.Action) *browserTab {
	e.t.Helper()
	tabCtx, cancelTab := chromedp.NewContext(e.browse)
	e.t.Cleanup(cancelTab)
	tab := &browserTab{env: e, tabCtx: tabCtx, problems: &pageProblems{}}
	chromedp.ListenTarget(tabCtx, tab.listen)
	// The first Run opens the tab; like the browser's, it takes no deadline.
	if err := chromedp.Run(tabCtx, network.Enable(), runtime.Enable(), log.Enable()); err != nil {
		e.t.Fatalf("%s: opening a tab: %v", path, err)
	}
	tab.load(path, before...)
	return tab
}

// load takes the tab to path as open does a new tab, from the screen's
// media and size: a test that goes through many pages reuses its tab.
// What the tab saw on the page before is forgotten.
func (tab *browserTab) load(path string, before ...chromedp.Action) {
	e := tab.env
	e.t.Helper()
	ctx, cancelTimeout := context.WithTimeout(tab.tabCtx, browserPageTimeout)
	e.t.Cleanup(cancelTimeout)
	tabCtx := tab.tabCtx
	if tab.path != "" {
		tab.problems.mu.Lock()
		tab.problems.errors, tab.problems.foreign = nil, nil
		tab.problems.mu.Unlock()
		if err := chromedp.Run(ctx, emulation.SetEmulatedMedia().WithMedia(""), emulation.ClearDeviceMetricsOverride(),
			chromedp.Evaluate(`performance.clearResourceTimings()`, nil)); err != nil {
			e.t.Fatalf("%s: resetting the tab for %s: %v", tab.path, path, err)
		}
	}
	tab.ctx, tab.path = ctx, path

	start := time.Now()
	// Pages without charts do not load charts.js, so nothing marks them
	// ready: after the load event, wait for the marker only where there
	// are charts.
	var nCharts int
	err := chromedp.Run(ctx,
		// In the front, as a reader's tab is: a tab in the background gets
		// no intersection reports, which start the charts in view.
		page.BringToFront(),
		chromedp.Tasks(before),
		chromedp.Navigate(e.srv.URL+path),
		chromedp.Evaluate(`document.querySelectorAll('.chart').length`, &nCharts),
		chromedp.ActionFunc(func(ctx context.Context) error {
			if nCharts == 0 {
				return nil
			}
			if err := chromedp.WaitVisible(`html[data-charts-ready="1"]`, chromedp.ByQuery).Do(ctx); err != nil {
				return err
			}
			// Charts below the fold wait until they are scrolled to; the
			// tests read every chart, so they have them all drawn.
			if err := chromedp.Evaluate(`window.twinmetricsDrawCharts && window.twinmetricsDrawCharts()`, nil).Do(ctx); err != nil {
				return err
			}
			return chromedp.WaitVisible(`html[data-charts-ready="1"]`, chromedp.ByQuery).Do(ctx)
		}),
	)
	if err != nil {
		diagCtx, cancelDiag := context.WithTimeout(tabCtx, 5*time.Second)
		defer cancelDiag()
		var state string
		if derr := chromedp.Run(diagCtx, chromedp.Evaluate(
			`JSON.stringify({url: location.href, title: document.title, readyState: document.readyState, `+
				`chartsReady: document.documentElement.dataset.chartsReady || null, `+
				`charts: document.querySelectorAll('.chart').length})`, &state)); derr != nil {
			state = "unknown: " + derr.Error()
		}
		e.t.Fatalf("%s: page did not reach html[data-charts-ready=\"1\"] within %v: %v\npage state: %s\nproblems so far: %s",
			path, browserPageTimeout, err, state, tab.problems.String())
	}
	e.t.Logf("%s: loaded, %d charts ready, after %v", path, nCharts, time.Since(start).Round(time.Millisecond))
}

func (tab *browserTab) listen(ev any) {
	p := tab.problems
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.APITypeError && ev.Type != runtime.APITypeAssert {
			return
		}
		var args []string
		for _, a := range ev.Args {
			switch {
			case a.Description != "":
				args = append(args, a.Description)
			case len(a.Value) > 0:
				args = append(args, string(a.Value))
			default:
				args = append(args, string(a.Type))
			}
		}
		p.addError("console.%s: %s%s", ev.Type, strings.Join(args, " "), stackTop(ev.StackTrace))
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		p.addError("uncaught exception: %s (%s:%d:%d)", msg, d.URL, d.LineNumber+1, d.ColumnNumber+1)
	case *log.EventEntryAdded:
		if ev.Entry.Level != log.LevelError {
			return
		}
		// Chromium asks for /favicon.ico by itself when a page names no
		// icon; its 404 is the browser's guess, not the page's request.
		if ev.Entry.Source == log.SourceNetwork && ev.Entry.URL == "http://"+tab.env.host+"/favicon.ico" {
			return
		}
		p.addError("log %s error: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
	case *network.EventRequestWillBeSent:
		raw := ev.Request.URL
		if strings.HasPrefix(raw, "data:") || strings.HasPrefix(raw, "blob:") {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host != tab.env.host {
			p.addForeign(raw)
		}
	}
}

func stackTop(st *runtime.StackTrace) string {
	if st == nil || len(st.CallFrames) == 0 {
		return ""
	}
	f := st.CallFrames[0]
	return fmt.Sprintf(" (at %s:%d:%d)", f.URL, f.LineNumber+1, f.ColumnNumber+1)
}

func (p *pageProblems) String() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.errors) == 0 && len(p.foreign) == 0 {
		return "none"
	}
	return fmt.Sprintf("errors %q; foreign requests %q", p.errors, p.foreign)
}

// checkClean fails the test for every console error, uncaught exception,
// error log entry and foreign request seen so far.
func (tab *browserTab) checkClean() {
	t := tab.env.t
	t.Helper()
	// The page's own record of what it loaded backs up the network events.
	var loaded []string
	if err := chromedp.Run(tab.ctx, chromedp.Evaluate(
		`performance.getEntriesByType('resource').map(e => e.name)`, &loaded)); err != nil {
		t.Errorf("%s: reading performance entries: %v", tab.path, err)
	}
	for _, raw := range loaded {
		tab.listen(&network.EventRequestWillBeSent{Request: &network.Request{URL: raw}})
	}
	p := tab.problems
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.errors {
		t.Errorf("%s: %s", tab.path, e)
	}
	for _, u := range p.foreign {
		t.Errorf("%s: request to %s: only the test server %s may be contacted", tab.path, u, tab.env.host)
	}
}

// chartState is what charts.js left on one .chart element.
type chartState struct {
	ID       string `json:"id"`
	Option   string `json:"option"`
	Ready    string `json:"ready"`
	Error    string `json:"error"`
	Instance bool   `json:"instance"`
}

// checkCharts fails unless every .chart element on the page has been drawn:
// data-chart-ready, no data-chart-error, an ECharts instance. It returns
// the charts' ids.
func (tab *browserTab) checkCharts() []string {
	t := tab.env.t
	t.Helper()
	var charts []chartState
	err := chromedp.Run(tab.ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll('.chart')).map(el => ({
		id: el.id,
		option: el.dataset.chartOption || '',
		ready: el.dataset.chartReady || '',
		error: el.dataset.chartError || '',
		instance: !!(window.echarts && echarts.getInstanceByDom(el)),
	}))`, &charts))
	if err != nil {
		t.Fatalf("%s: reading chart state: %v", tab.path, err)
	}
	var errs string
	if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`document.documentElement.dataset.chartErrors || ''`, &errs)); err != nil {
		t.Fatalf("%s: reading chart errors: %v", tab.path, err)
	}
	if errs != "" {
		t.Errorf("%s: <html data-chart-errors=%q>: charts.js failed to draw some charts", tab.path, errs)
	}
	var ids []string
	for i, c := range charts {
		name := c.ID
		if name == "" {
			name = fmt.Sprintf(".chart #%d (no id)", i)
		}
		ids = append(ids, c.ID)
		if c.Option == "" {
			t.Errorf("%s: chart %s has no data-chart-option attribute", tab.path, name)
		}
		if c.Ready != "1" {
			t.Errorf("%s: chart %s has data-chart-ready=%q, want \"1\"", tab.path, name, c.Ready)
		}
		if c.Error != "" {
			t.Errorf("%s: chart %s has data-chart-error=%q", tab.path, name, c.Error)
		}
		if !c.Instance {
			t.Errorf("%s: chart %s has no ECharts instance", tab.path, name)
		}
	}
	return ids
}

// liveSeries is one series of a drawn chart, as ECharts' getOption gives it.
type liveSeries struct {
	Name string            `json:"name"`
	Data []json.RawMessage `json:"data"`
}

type liveOption struct {
	Labels []json.RawMessage `json:"labels"`
	Series []liveSeries      `json:"series"`
}

// liveOption reads back the option of the chart with the given id from its
// ECharts instance. NaN and ±Infinity, which JSON cannot carry, come back
// as the strings "NaN" and "Infinity".
func (tab *browserTab) liveOption(id string) liveOption {
	t := tab.env.t
	t.Helper()
	var raw string
	err := chromedp.Run(tab.ctx, chromedp.Evaluate(fmt.Sprintf(`(() => {
		const el = document.getElementById(%q);
		if (!el) return JSON.stringify({error: 'no element'});
		const inst = window.echarts && echarts.getInstanceByDom(el);
		if (!inst) return JSON.stringify({error: 'no ECharts instance'});
		const o = inst.getOption();
		const x = (o.xAxis || [])[0] || {};
		return JSON.stringify({labels: x.data || [], series: (o.series || []).map(s => ({name: s.name, data: s.data || []}))},
			(k, v) => (typeof v === 'number' && !isFinite(v)) ? String(v) : v);
	})()`, id), &raw))
	if err != nil {
		t.Fatalf("%s: reading option of chart #%s: %v", tab.path, id, err)
	}
	var probe struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(raw), &probe); err == nil && probe.Error != "" {
		t.Fatalf("%s: chart #%s: %s", tab.path, id, probe.Error)
	}
	var o liveOption
	if err := json.Unmarshal([]byte(raw), &o); err != nil {
		t.Fatalf("%s: chart #%s: decoding option %s: %v", tab.path, id, raw, err)
	}
	return o
}

// label returns an x-axis label as text; ECharts may keep it as a string,
// a number or an object {value: …}.
func browserLabel(raw json.RawMessage) string {
	var obj struct {
		Value json.RawMessage `json:"value"`
	}
	if json.Unmarshal(raw, &obj) == nil && len(obj.Value) > 0 {
		raw = obj.Value
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return strings.TrimSpace(string(raw))
}

// browserPoint decodes one data item: a number, or missing for "-", null,
// NaN or an absent value, with {value: …} unwrapped.
func browserPoint(raw json.RawMessage) (v float64, missing bool, err error) {
	var obj struct {
		Value json.RawMessage `json:"value"`
	}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &obj); err != nil {
			return 0, false, err
		}
		raw = obj.Value
	}
	s := strings.TrimSpace(string(raw))
	switch s {
	case "", "null", `"-"`, `"NaN"`, `""`:
		return 0, true, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, false, fmt.Errorf("data item %s is neither a number nor a missing marker", s)
	}
	return v, false, nil
}

// at returns the raw data item of series name at x label year. On a
// year axis drawn to scale (a value axis, no labels) the item is the one
// whose value is [year, y].
func (o liveOption) at(name, year string) (json.RawMessage, error) {
	if len(o.Labels) == 0 {
		var names []string
		for _, s := range o.Series {
			names = append(names, s.Name)
			if s.Name != name {
				continue
			}
			for _, d := range s.Data {
				var item struct {
					Value []json.RawMessage `json:"value"`
				}
				var pair []json.RawMessage
				if json.Unmarshal(d, &item) == nil && len(item.Value) == 2 {
					pair = item.Value
				} else if json.Unmarshal(d, &pair) != nil || len(pair) != 2 {
					continue
				}
				if strings.TrimSpace(string(pair[0])) == year {
					return pair[1], nil
				}
			}
			return nil, fmt.Errorf("series %q has no item at year %s", name, year)
		}
		return nil, fmt.Errorf("no series named %q among %q", name, names)
	}
	col := -1
	var labels []string
	for i, l := range o.Labels {
		s := browserLabel(l)
		labels = append(labels, s)
		if s == year {
			col = i
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("no x label %q among %q", year, labels)
	}
	var names []string
	for _, s := range o.Series {
		names = append(names, s.Name)
		if s.Name != name {
			continue
		}
		if col >= len(s.Data) {
			return nil, fmt.Errorf("series %q has %d data items, fewer than the %d x labels", name, len(s.Data), len(labels))
		}
		return s.Data[col], nil
	}
	return nil, fmt.Errorf("no series named %q among %q", name, names)
}

func TestBrowserPairPage(t *testing.T) {
	// Each test has its own server, database and Chromium.
	t.Parallel()
	env := newBrowserEnv(t)
	tab := env.open("/pairs/hanoi-milan")

	ids := tab.checkCharts()
	if len(ids) == 0 {
		t.Errorf("%s: no .chart element on the page", tab.path)
	}

	const id = "chart_line_hanoi_milan_pm25_annual_mean"
	o := tab.liveOption(id)

	// Seed values from data/indicator_values_seed.csv. Hanoi 2016 has three
	// rows (50.81 from the 2022 database, 47.91 and 48 from the 2018 one):
	// the headline rule takes the newest vintage, 50.81.
	want := []struct {
		city, year string
		value      float64
	}{
		{"Hanoi", "2019", 52.09},
		{"Hanoi", "2017", 42.46},
		{"Hanoi", "2016", 50.81},
		{"Milan", "2019", 20.87},
		{"Milan", "2017", 27.97},
	}
	for _, w := range want {
		raw, err := o.at(w.city, w.year)
		if err != nil {
			t.Errorf("chart #%s: %s %s: %v", id, w.city, w.year, err)
			continue
		}
		v, missing, err := browserPoint(raw)
		switch {
		case err != nil:
			t.Errorf("chart #%s: %s %s: %v", id, w.city, w.year, err)
		case missing:
			t.Errorf("chart #%s: %s %s is missing (data item %s), want %v", id, w.city, w.year, raw, w.value)
		case math.Abs(v-w.value) > 1e-9:
			t.Errorf("chart #%s: %s %s = %v (data item %s), want %v", id, w.city, w.year, v, raw, w.value)
		}
	}

	// Milan has no seeded PM2.5 for 2011 and 2012: the chart must show a
	// gap there, not a 0.
	for _, year := range []string{"2011", "2012"} {
		raw, err := o.at("Milan", year)
		if err != nil {
			t.Errorf("chart #%s: Milan %s: %v", id, year, err)
			continue
		}
		v, missing, err := browserPoint(raw)
		switch {
		case err != nil:
			t.Errorf("chart #%s: Milan %s: %v", id, year, err)
		case !missing:
			t.Errorf("chart #%s: Milan %s = %v (data item %s), want missing (\"-\", null or NaN): Milan has no seeded value for %s", id, year, v, raw, year)
		}
	}

	tab.checkClean()
}

func TestBrowserPagesRenderCharts(t *testing.T) {
	// Each test has its own server, database and Chromium.
	t.Parallel()
	env := newBrowserEnv(t)
	// Each page with the fewest charts it draws from the seed: a page
	// that drew none where it should have charts fails. The overview and
	// the about page have none, but load charts.js and must stay clean.
	for _, pg := range []struct {
		path      string
		minCharts int
	}{
		{"/", 0},
		{"/cities/hanoi", 1},
		{"/indicators/pm25_annual_mean", 2},
		{"/about", 0},
		{"/pairs/ho-chi-minh-city-kosice", 5},
		{"/pairs/hanoi-milan", 5},
	} {
		// Subtests share the browser, each page in its own tab, and run
		// one after another.
		name := strings.Trim(pg.path, "/")
		if name == "" {
			name = "overview"
		}
		t.Run(name, func(t *testing.T) {
			sub := *env
			sub.t = t
			tab := sub.open(pg.path)
			ids := tab.checkCharts()
			t.Logf("%s: %d charts drawn", pg.path, len(ids))
			if len(ids) < pg.minCharts {
				t.Errorf("%s: %d charts drawn, want at least %d", pg.path, len(ids), pg.minCharts)
			}
			tab.checkClean()
		})
	}
}

// TestBrowserChartsBelowTheFoldWait: on a phone, the charts in view are
// drawn at load and those below the fold wait, with no ECharts instance,
// until the reader scrolls to them.
func TestBrowserChartsBelowTheFoldWait(t *testing.T) {
	t.Parallel()
	env := newBrowserEnv(t)
	tabCtx, cancelTab := chromedp.NewContext(env.browse)
	defer cancelTab()
	// The first Run opens the tab, without a deadline (see open).
	if err := chromedp.Run(tabCtx); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tabCtx, browserPageTimeout)
	defer cancel()
	type state struct {
		Total, Drawn, Deferred int
		// Near is how many charts start within 200 px below the viewport.
		Near, NearDrawn, FarDrawn int
		LastDrawn, LastDeferred   bool
		// ECharts is loaded with the first chart drawn.
		ECharts bool
	}
	const read = `(() => {
		const els = Array.from(document.querySelectorAll('.chart'));
		const drawn = el => el.dataset.chartReady === '1' && !!window.echarts && !!echarts.getInstanceByDom(el);
		const near = el => el.getBoundingClientRect().top < window.innerHeight + 200;
		const last = els[els.length - 1];
		return {Total: els.length, Drawn: els.filter(drawn).length,
			Deferred: els.filter(el => el.dataset.chartDeferred === '1').length,
			Near: els.filter(near).length, NearDrawn: els.filter(el => near(el) && drawn(el)).length,
			FarDrawn: els.filter(el => !near(el) && drawn(el)).length,
			LastDrawn: drawn(last), LastDeferred: last.dataset.chartDeferred === '1',
			ECharts: typeof window.echarts !== 'undefined'};
	})()`
	var atLoad, first, scrolled state
	steps := []struct {
		what string
		do   chromedp.Action
	}{
		// A tab in the background gets no intersection reports, as in a
		// browser: bring it to the front.
		{"front", page.BringToFront()},
		{"phone viewport", chromedp.EmulateViewport(375, 700)},
		{"load", chromedp.Navigate(env.srv.URL + "/pairs/hanoi-milan")},
		{"ready", chromedp.WaitVisible(`html[data-charts-ready="1"]`, chromedp.ByQuery)},
		{"read at load", chromedp.Evaluate(read, &atLoad)},
		// The scorecard fills a phone's first screen: the first chart is
		// drawn once scrolled to, the last one still waits.
		{"scroll to the first", chromedp.Evaluate(`(() => { document.querySelector('.chart').scrollIntoView(); return true; })()`, nil)},
		{"first drawn", chromedp.Poll(`document.querySelector('.chart').dataset.chartReady === '1'`, nil)},
		{"read after the first", chromedp.Evaluate(read, &first)},
		{"scroll", chromedp.Evaluate(`(() => { const els = document.querySelectorAll('.chart'); els[els.length - 1].scrollIntoView(); return true; })()`, nil)},
		{"drawn", chromedp.Poll(`(() => { const els = document.querySelectorAll('.chart'); return els[els.length - 1].dataset.chartReady === '1'; })()`, nil)},
		{"read after scrolling", chromedp.Evaluate(read, &scrolled)},
	}
	for _, st := range steps {
		if err := chromedp.Run(ctx, st.do); err != nil {
			var dump string
			_ = chromedp.Run(tabCtx, chromedp.Evaluate(`JSON.stringify(Array.from(document.querySelectorAll('.chart')).map(el => [el.id, el.dataset.chartReady, el.dataset.chartDeferred, el.getBoundingClientRect().top, el.offsetParent === null]))`, &dump))
			t.Fatalf("%s: %v (at load %+v; charts %s)", st.what, err, atLoad, dump)
		}
	}
	t.Logf("at load %+v, after scrolling to the first chart %+v, to the last %+v", atLoad, first, scrolled)
	if first.LastDrawn || !first.LastDeferred {
		t.Errorf("scrolling to the first chart drew the last one too, far below it")
	}
	if atLoad.Total < 3 || atLoad.NearDrawn != atLoad.Near || atLoad.FarDrawn != 0 || atLoad.Drawn+atLoad.Deferred != atLoad.Total {
		t.Errorf("at load: %d charts, %d near the viewport (%d of them drawn), %d drawn further down, %d waiting; want those near drawn and the rest waiting",
			atLoad.Total, atLoad.Near, atLoad.NearDrawn, atLoad.FarDrawn, atLoad.Deferred)
	}
	if atLoad.Drawn == 0 && atLoad.ECharts {
		t.Errorf("no chart in view, yet ECharts was loaded at once")
	}
	if !first.ECharts {
		t.Errorf("a chart was drawn without ECharts")
	}
	if atLoad.LastDrawn || !atLoad.LastDeferred {
		t.Errorf("the last chart, far below the fold, was drawn at load")
	}
	if !scrolled.LastDrawn || scrolled.LastDeferred {
		t.Errorf("the last chart was not drawn once scrolled into view")
	}
}
