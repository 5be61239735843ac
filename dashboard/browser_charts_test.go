package dashboard_test

// What the charts and verdicts tell a policymaker, read back from the
// drawn ECharts instances in Chromium (docs/RULES.md, rules 1, 6–9, 11).

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/twinmetrics/twinmetrics/data"
)

// drawnSeries is one series of a drawn chart with what makes it look the
// way it does.
type drawnSeries struct {
	Name      string            `json:"name"`
	Type      string            `json:"type"`
	Colour    string            `json:"colour"`
	LineType  string            `json:"lineType"`
	Symbol    string            `json:"symbol"`
	Data      []json.RawMessage `json:"data"`
	MarkLines []float64         `json:"markLines"`
}

type drawnChart struct {
	ID     string        `json:"id"`
	XType  string        `json:"xType"`
	Series []drawnSeries `json:"series"`
	Notes  []string      `json:"notes"`
}

// drawnCharts reads every chart of the page back from its ECharts
// instance: series names, colours, line types, data and mark lines, and
// the footnote under the chart.
func (tab *browserTab) drawnCharts() []drawnChart {
	t := tab.env.t
	t.Helper()
	var raw string
	err := chromedp.Run(tab.ctx, chromedp.Evaluate(`JSON.stringify(Array.from(document.querySelectorAll('.chart')).map(el => {
		const inst = echarts.getInstanceByDom(el);
		const o = inst.getOption();
		const x = (o.xAxis || [])[0] || {};
		const fig = el.closest('figure');
		return {
			id: el.id,
			xType: x.type || '',
			notes: fig ? Array.from(fig.querySelectorAll('.chart-notes li')).map(li => li.textContent) : [],
			series: (o.series || []).map(s => ({
				name: s.name || '',
				type: s.type || '',
				colour: (s.itemStyle && s.itemStyle.color) || (s.lineStyle && s.lineStyle.color) || '',
				lineType: (s.lineStyle && s.lineStyle.type) || 'solid',
				symbol: s.symbol || '',
				data: s.data || [],
				markLines: ((s.markLine && s.markLine.data) || []).map(d => d.yAxis),
			})),
		};
	}))`, &raw))
	if err != nil {
		t.Fatalf("%s: reading charts: %v", tab.path, err)
	}
	var out []drawnChart
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("%s: decoding charts: %v", tab.path, err)
	}
	return out
}

func (c drawnChart) series(name string) (drawnSeries, bool) {
	for _, s := range c.Series {
		if s.Name == name {
			return s, true
		}
	}
	return drawnSeries{}, false
}

// item finds the data item of a series at a year: {value: [year, v], …}.
func (s drawnSeries) item(year int) (v float64, symbol, name string, ok bool) {
	for _, raw := range s.Data {
		var it struct {
			Value  []any  `json:"value"`
			Symbol string `json:"symbol"`
			Name   string `json:"name"`
		}
		if json.Unmarshal(raw, &it) != nil || len(it.Value) != 2 {
			continue
		}
		y, _ := it.Value[0].(float64)
		if int(y) != year || y != math.Trunc(y) {
			continue
		}
		f, isNum := it.Value[1].(float64)
		return f, it.Symbol, it.Name, isNum
	}
	return 0, "", "", false
}

func chartByID(t *testing.T, path string, cs []drawnChart, id string) drawnChart {
	t.Helper()
	for _, c := range cs {
		if c.ID == id {
			return c
		}
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	t.Fatalf("%s: no chart #%s among %q", path, id, ids)
	return drawnChart{}
}

// sizeDependent lists the indicators data/indicators.csv marks as totals.
func sizeDependent(t *testing.T) []string {
	t.Helper()
	f, err := data.Files.Open("indicators.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == "size_dependent" {
			col = i
		}
	}
	if col < 0 {
		t.Fatal("indicators.csv has no size_dependent column")
	}
	var out []string
	for _, r := range recs[1:] {
		if r[col] == "1" {
			out = append(out, r[0])
		}
	}
	return out
}

func TestBrowserChartsTellTheTruth(t *testing.T) {
	t.Parallel()
	env := newBrowserEnv(t)

	// One colour per area across every chart of every page visited.
	colours := map[string]map[string]string{} // series name → colour → where
	record := func(path string, cs []drawnChart) {
		for _, c := range cs {
			for _, s := range c.Series {
				if s.Name == "" || s.Colour == "" || strings.Contains(s.Name, "WHO") {
					continue
				}
				// A city keeps its colour on its projection and its other
				// releases: compare the area's part of the name.
				area := strings.SplitN(s.Name, " — ", 2)[0]
				area = strings.TrimSuffix(area, " (projection)")
				if colours[area] == nil {
					colours[area] = map[string]string{}
				}
				colours[area][s.Colour] = path + "#" + c.ID
			}
		}
	}

	t.Run("air charts of hanoi-milan", func(t *testing.T) {
		sub := *env
		sub.t = t
		tab := sub.open("/pairs/hanoi-milan?theme=air")
		tab.checkCharts()
		cs := tab.drawnCharts()
		record(tab.path, cs)
		pm := chartByID(t, tab.path, cs, "chart_line_hanoi_milan_pm25_annual_mean")

		// Time to scale: 2005 → 2010 is five times as wide as 2010 → 2011.
		if pm.XType != "value" {
			t.Errorf("PM2.5 chart x axis is %q, want a value axis of years", pm.XType)
		}
		var px []float64
		err := chromedp.Run(tab.ctx, chromedp.Evaluate(`(() => {
			const inst = echarts.getInstanceByDom(document.getElementById('chart_line_hanoi_milan_pm25_annual_mean'));
			return [2005, 2010, 2011].map(y => inst.convertToPixel({xAxisIndex: 0}, y));
		})()`, &px))
		if err != nil || len(px) != 3 {
			t.Fatalf("convertToPixel: %v %v", px, err)
		}
		five, one := px[1]-px[0], px[2]-px[1]
		if one <= 0 || math.Abs(five-5*one) > 0.5 {
			t.Errorf("x(2010)−x(2005) = %.2f px, x(2011)−x(2010) = %.2f px: years are not drawn to scale", five, one)
		}

		// Hanoi PM2.5 2015 covers 5.5 % of the year: a hollow point with
		// its flag, and the footnote says what hollow means.
		hanoi, ok := pm.series("Hanoi")
		if !ok {
			t.Fatalf("no Hanoi series on the PM2.5 chart")
		}
		v, symbol, name, ok := hanoi.item(2015)
		if !ok || v != 81.76 {
			t.Errorf("Hanoi PM2.5 2015 = %v (%v), want 81.76", v, ok)
		}
		if symbol != "emptyCircle" || !strings.Contains(name, "Low coverage") {
			t.Errorf("Hanoi PM2.5 2015 drawn as %q with %q, want a hollow point flagged Low coverage", symbol, name)
		}
		if _, symbol, _, _ := hanoi.item(2019); symbol == "emptyCircle" {
			t.Error("Hanoi PM2.5 2019 has no flag but is drawn hollow")
		}
		// Its tooltip names the flag.
		var tip string
		err = chromedp.Run(tab.ctx, chromedp.Evaluate(`(() => {
			const el = document.getElementById('chart_line_hanoi_milan_pm25_annual_mean');
			const inst = echarts.getInstanceByDom(el);
			const series = inst.getOption().series;
			const si = series.findIndex(s => s.name === 'Hanoi');
			const di = series[si].data.findIndex(d => d.value && d.value[0] === 2015);
			inst.dispatchAction({type: 'showTip', seriesIndex: si, dataIndex: di});
			return Array.from(el.querySelectorAll('div')).map(d => d.innerText).filter(s => s.includes('2015')).join(' | ');
		})()`, &tip))
		if err != nil || !strings.Contains(tip, "81.76") || !strings.Contains(tip, "Low coverage") {
			t.Errorf("tooltip at Hanoi 2015: %q (%v), want the value and its flag", tip, err)
		}
		if !strings.Contains(strings.Join(pm.Notes, "\n"), "Low coverage") {
			t.Errorf("the PM2.5 chart's footnote does not list the flag it shows: %q", pm.Notes)
		}
		// Milan has no PM2.5 for 2011 and 2012: a gap, not a line across.
		milan, _ := pm.series("Milan")
		for _, y := range []int{2011, 2012} {
			if v, _, _, ok := milan.item(y); ok {
				t.Errorf("Milan PM2.5 %d = %v, want a gap", y, v)
			}
		}

		// WHO 2021 guideline and interim targets on the PM2.5 chart.
		lines := map[float64]bool{}
		for _, s := range pm.Series {
			for _, l := range s.MarkLines {
				lines[l] = true
			}
		}
		for _, want := range []float64{5, 10, 15, 25, 35} {
			if !lines[want] {
				t.Errorf("PM2.5 chart has no reference line at %v µg/m³ (has %v)", want, lines)
			}
		}

		// Hanoi PM10 2016 (102, converted, from the 2018 database) stands
		// after 2015 (from the 2022 database): the line breaks there.
		pm10 := chartByID(t, tab.path, cs, "chart_line_hanoi_milan_pm10_annual_mean")
		h10, _ := pm10.series("Hanoi")
		if _, symbol, _, _ := h10.item(2016); symbol != "emptyCircle" {
			t.Errorf("Hanoi PM10 2016 (converted) drawn as %q, want hollow", symbol)
		}
		if !strings.Contains(strings.Join(pm10.Notes, "\n"), "line breaks before 2016") {
			t.Errorf("PM10 footnote does not say where the source changes: %q", pm10.Notes)
		}
		tab.checkClean()
	})

	t.Run("OWID vintages apart", func(t *testing.T) {
		sub := *env
		sub.t = t
		tab := sub.open("/pairs/hanoi-milan?theme=energy")
		cs := tab.drawnCharts()
		record(tab.path, cs)
		c := chartByID(t, tab.path, cs, "chart_line_hanoi_milan_renewable_energy_share")
		var v2020, v2024 drawnSeries
		for _, s := range c.Series {
			if strings.HasPrefix(s.Name, "Vietnam") && strings.Contains(s.Name, "2020 snapshot") {
				v2020 = s
			}
			if strings.HasPrefix(s.Name, "Vietnam") && strings.Contains(s.Name, "2024 snapshot") {
				v2024 = s
			}
		}
		a, _, _, okA := v2020.item(2015)
		b, _, _, okB := v2024.item(2015)
		if !okA || !okB || math.Abs(a-8.0623) > 1e-9 || math.Abs(b-18.6469) > 1e-9 {
			t.Errorf("Vietnam 2015 renewables: 2020 snapshot %v (%v), 2024 snapshot %v (%v); want 8.0623 and 18.6469 in two named series", a, okA, b, okB)
		}
		if v2020.LineType == v2024.LineType && v2020.Symbol == v2024.Symbol {
			t.Errorf("the two vintages are drawn alike (%s, %s)", v2020.LineType, v2020.Symbol)
		}
		for _, s := range c.Series {
			if strings.Contains(s.Name, "final energy") {
				t.Errorf("series %q: the national series is primary energy", s.Name)
			}
		}
		tab.checkClean()
	})

	t.Run("green area without a year", func(t *testing.T) {
		sub := *env
		sub.t = t
		tab := sub.open("/pairs/hanoi-milan?theme=green_space")
		var row string
		if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`(document.querySelector('tr[data-indicator="green_area_per_capita"]') || {}).innerText || ''`, &row)); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"1.8", "18.2", "17.8", "year not given", "Partial area", "Conflicting value"} {
			if !strings.Contains(row, want) {
				t.Errorf("green area row %q lacks %q", row, want)
			}
		}
		var trends string
		_ = chromedp.Run(tab.ctx, chromedp.Evaluate(`(document.getElementById('trends') || {}).parentElement ? document.getElementById('trends').parentElement.innerText : ''`, &trends))
		if strings.Contains(trends, "No values for this theme") {
			t.Errorf("the green space trends say there are no values: %q", trends)
		}
		var missing string
		_ = chromedp.Run(tab.ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll('.missing-list')).map(e => e.innerText).join(' ')`, &missing))
		if strings.Contains(missing, "Green area") {
			t.Errorf("green area is declared missing: %q", missing)
		}
	})

	t.Run("no winner on totals", func(t *testing.T) {
		sub := *env
		sub.t = t
		for _, theme := range []string{"climate", "energy", "transport", "context"} {
			tab := sub.open("/pairs/adelaide-manchester?theme=" + theme)
			for _, code := range sizeDependent(t) {
				var cell struct {
					Found  bool   `json:"found"`
					Better string `json:"better"`
					Gap    string `json:"gap"`
				}
				var raw string
				err := chromedp.Run(tab.ctx, chromedp.Evaluate(fmt.Sprintf(`(() => {
					const tr = document.querySelector('tr[data-indicator=%q]');
					if (!tr) return JSON.stringify({found: false});
					const b = tr.querySelector('.better');
					return JSON.stringify({found: true, better: b ? b.innerText : '', gap: tr.cells[tr.cells.length-2].innerText});
				})()`, code), &raw))
				if err != nil {
					t.Fatal(err)
				}
				_ = json.Unmarshal([]byte(raw), &cell)
				if !cell.Found {
					continue
				}
				if cell.Better != "" {
					t.Errorf("%s: %s says %q better: it is a total", tab.path, code, cell.Better)
				}
				if gap := strings.SplitN(cell.Gap, "\n", 2)[0]; strings.Contains(gap, "×") {
					t.Errorf("%s: %s gives a ratio %q between areas of different size", tab.path, code, gap)
				}
			}
			if theme == "climate" {
				var total string
				_ = chromedp.Run(tab.ctx, chromedp.Evaluate(`(document.querySelector('tr[data-indicator="ghg_total_reported"]') || {}).innerText || ''`, &total))
				if !strings.Contains(total, "GHG emissions per capita") {
					t.Errorf("total GHG row does not offer the per-capita comparison: %q", total)
				}
				var scope1 string
				_ = chromedp.Run(tab.ctx, chromedp.Evaluate(`(document.querySelector('tr[data-indicator="ghg_scope1"]') || {}).innerText || ''`, &scope1))
				if !strings.Contains(scope1, "Scope 1 GHG emissions per capita") {
					t.Errorf("scope 1 row does not offer the per-capita comparison: %q", scope1)
				}
			}
		}
	})

	coloursRun := false
	t.Run("colours of hcmc-kosice and the indicator page", func(t *testing.T) {
		coloursRun = true
		sub := *env
		sub.t = t
		for _, path := range []string{"/pairs/ho-chi-minh-city-kosice", "/pairs/ho-chi-minh-city-kosice?theme=air", "/pairs/hanoi-milan", "/indicators/pm25_annual_mean"} {
			tab := sub.open(path)
			cs := tab.drawnCharts()
			record(path, cs)
			if strings.HasPrefix(path, "/indicators/pm25") {
				c := chartByID(t, path, cs, "chart_series_pm25_annual_mean")
				n := 0
				for _, s := range c.Series {
					n += len(s.MarkLines)
				}
				if n < 5 {
					t.Errorf("%s: %d reference lines on the PM2.5 chart, want the WHO guideline and interim targets", path, n)
				}
			}
		}
	})

	if !coloursRun {
		return // a -run filter left the colour pages out
	}
	for _, city := range []string{"Hanoi", "Milan", "Ho Chi Minh City", "Košice", "Vietnam", "Italy", "Slovakia"} {
		if len(colours[city]) == 0 {
			t.Errorf("%s is drawn on no chart visited", city)
		}
	}
	for area, cs := range colours {
		if len(cs) > 1 {
			t.Errorf("%s is drawn in %d colours: %v", area, len(cs), cs)
		}
	}
}
