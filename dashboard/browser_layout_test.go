package dashboard_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// textBox is a text ECharts drew, measured where it was drawn.
type textBox struct {
	Text string  `json:"text"`
	Kind string  `json:"kind"` // title, subtitle, category (an axis category or a radar name), reference (a reference line's label), other
	X1   float64 `json:"x1"`
	Y1   float64 `json:"y1"`
	X2   float64 `json:"x2"`
	Y2   float64 `json:"y2"`
}

func (b textBox) overlaps(o textBox) bool {
	// A pixel of anti-aliasing is not an overlap.
	return b.X1 < o.X2-1 && o.X1 < b.X2-1 && b.Y1 < o.Y2-1 && o.Y1 < b.Y2-1
}

type drawnLayout struct {
	ID      string    `json:"id"`
	Width   float64   `json:"width"`
	Height  float64   `json:"height"`
	Toolbox int       `json:"toolbox"`
	Boxes   []textBox `json:"boxes"`
	// Caption is the figure's caption, Label the chart's accessible
	// name, Units the names of its axes.
	Caption string   `json:"caption"`
	Label   string   `json:"label"`
	Units   []string `json:"units"`
}

// drawnLayouts measures, in every chart of the page, the boxes of the
// texts ECharts drew and left visible, each line of a wrapped text
// counted in its text's box.
func (tab *browserTab) drawnLayouts() []drawnLayout {
	t := tab.env.t
	t.Helper()
	var raw string
	if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`JSON.stringify(Array.from(document.querySelectorAll('.chart')).map(el => {
		const inst = echarts.getInstanceByDom(el);
		const o = inst.getOption();
		const norm = s => String(s == null ? '' : s).replace(/\s+/g, '');
		const cats = new Set();
		(o.xAxis || []).concat(o.yAxis || []).forEach(a => {
			if (a.type === 'category') (a.data || []).forEach(d => cats.add(norm(d && typeof d === 'object' ? d.value : d)));
		});
		(o.radar || []).forEach(r => (r.indicator || []).forEach(i => cats.add(norm(i.name))));
		const title = (o.title || [])[0] || {};
		const fig = el.closest('figure'), caption = fig && fig.querySelector('figcaption') ? fig.querySelector('figcaption').textContent.trim() : '';
		const units = (o.xAxis || []).concat(o.yAxis || []).map(a => a.name).filter(n => n);
		// A reference line's label is drawn as "{b} {c}": its name, its value.
		const refs = (o.series || []).flatMap(s => ((s.markLine || {}).data || []).filter(d => d.name != null).map(d => d.name + ' ' + d.yAxis));
		const hidden = d => { for (let e = d; e; e = e.parent) if (e.ignore || e.invisible) return true; return false; };
		const boxes = new Map();
		inst.getZr().storage.getDisplayList(true).forEach(d => {
			if (d.type !== 'tspan' || !d.style || !d.style.text || hidden(d)) return;
			const r = d.getBoundingRect().clone();
			// zrender measures a line's height on a CJK glyph: where no font
			// has one, it comes out smaller than the text drawn. A line is
			// at least as tall as its font.
			const size = parseFloat((String(d.style.font || '').match(/(\d+(?:\.\d+)?)px/) || [])[1] || 0);
			if (r.height < size) { r.y -= (size - r.height) / 2; r.height = size; }
			r.applyTransform(d.getComputedTransform());
			const key = d.parent || d;
			const b = boxes.get(key) || {text: '', x1: Infinity, y1: Infinity, x2: -Infinity, y2: -Infinity};
			b.text += d.style.text;
			b.x1 = Math.min(b.x1, r.x); b.y1 = Math.min(b.y1, r.y);
			b.x2 = Math.max(b.x2, r.x + r.width); b.y2 = Math.max(b.y2, r.y + r.height);
			boxes.set(key, b);
		});
		return {
			id: el.id, width: el.clientWidth, height: el.clientHeight, toolbox: (o.toolbox || []).length,
			caption: caption, label: el.getAttribute('aria-label') || '', units: units,
			boxes: Array.from(boxes.values()).map(b => Object.assign(b, {kind:
				(title.text && norm(b.text) === norm(title.text)) || (caption && norm(b.text) === norm(caption)) ? 'title' :
				title.subtext && norm(b.text) === norm(title.subtext) ? 'subtitle' :
				cats.has(norm(b.text)) ? 'category' :
				refs.includes(b.text) ? 'reference' : 'other'})),
		};
	}))`, &raw)); err != nil {
		t.Fatalf("%s: measuring the charts' texts: %v", tab.path, err)
	}
	var out []drawnLayout
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("%s: %v", tab.path, err)
	}
	return out
}

// TestBrowserChartTextsDoNotOverlap opens the Hanoi–Milan page (two
// themes) and the PM2.5 ranking, in English and Vietnamese, on a 375 px
// phone and a 1280 px screen, and measures what ECharts drew: no toolbar;
// the chart's title said once, by its caption, which names the chart for
// a screen reader too (ECharts draws no title, and the unit only as its
// axis' name); a subtitle within the chart and clear of every other
// text; no two category labels (the bar charts' indicator names, the
// radar's names, the ranking's areas) overlapping each other or running
// out of the chart; and the labels of the reference lines (PM2.5's WHO
// levels, five lines 5 µg/m³ apart) clear of each other and of every
// other text.
func TestBrowserChartTextsDoNotOverlap(t *testing.T) {
	t.Parallel()
	env := newBrowserEnv(t)
	for _, lang := range []string{"en", "vi"} {
		for _, width := range []int64{375, 1280} {
			for _, page := range []string{"/pairs/hanoi-milan", "/pairs/hanoi-milan?theme=air", "/indicators/pm25_annual_mean"} {
				path := "/" + lang + page
				tab := env.open(path, emulation.SetDeviceMetricsOverride(width, 900, 1, width < 600))
				where := fmt.Sprintf("%s at %d px", path, width)
				cats, refs := 0, 0
				for _, c := range tab.drawnLayouts() {
					if c.Toolbox > 0 {
						t.Errorf("%s: chart #%s has a toolbox over its title", where, c.ID)
					}
					var titles, labels []textBox
					for _, b := range c.Boxes {
						switch b.Kind {
						case "title", "subtitle":
							titles = append(titles, b)
						case "category":
							labels = append(labels, b)
						}
						if b.Kind != "other" && (b.X1 < -1 || b.X2 > c.Width+1 || b.Y1 < -1 || b.Y2 > c.Height+1) {
							t.Errorf("%s: chart #%s: %s %q (%.0f–%.0f × %.0f–%.0f) runs out of the chart's %.0f×%.0f px",
								where, c.ID, b.Kind, b.Text, b.X1, b.X2, b.Y1, b.Y2, c.Width, c.Height)
						}
					}
					if c.Caption == "" || !strings.HasPrefix(c.Label, c.Caption) {
						t.Errorf("%s: chart #%s: captioned %q, named %q for a screen reader: want its caption to name it", where, c.ID, c.Caption, c.Label)
					}
					for _, ti := range titles {
						if ti.Kind == "title" {
							t.Errorf("%s: chart #%s: the title %q is drawn under its caption", where, c.ID, ti.Text)
						}
					}
					for _, u := range c.Units {
						n := 0
						for _, b := range c.Boxes {
							if strings.Join(strings.Fields(b.Text), "") == strings.Join(strings.Fields(u), "") {
								n++
							}
						}
						if n > 1 {
							t.Errorf("%s: chart #%s: the unit %q is drawn %d times", where, c.ID, u, n)
						}
					}
					cats += len(labels)
					// The labels of reference lines (WHO levels, EU limit
					// values) overlap neither each other nor any other text.
					for i, r := range c.Boxes {
						if r.Kind != "reference" {
							continue
						}
						refs++
						for j, b := range c.Boxes {
							if j != i && (b.Kind != "reference" || j > i) && r.overlaps(b) {
								t.Errorf("%s: chart #%s: the reference line's label %q overlaps %q", where, c.ID, r.Text, b.Text)
							}
						}
					}
					for _, ti := range titles {
						for _, b := range c.Boxes {
							if b != ti && ti.overlaps(b) {
								t.Errorf("%s: chart #%s: the %s %q overlaps %q", where, c.ID, ti.Kind, ti.Text, b.Text)
							}
						}
					}
					for i := range labels {
						for j := i + 1; j < len(labels); j++ {
							if labels[i].overlaps(labels[j]) {
								t.Errorf("%s: chart #%s: the labels %q and %q overlap", where, c.ID, labels[i].Text, labels[j].Text)
							}
						}
					}
				}
				if cats == 0 {
					t.Errorf("%s: no category label measured: the test reads nothing", where)
				}
				if refs == 0 {
					t.Errorf("%s: no reference line's label measured: the test reads nothing", where)
				}
				tab.checkClean()
			}
		}
	}
}

// TestBrowserHomeTablesFit opens the overview at 1280 px, in English and
// Vietnamese: no table wider than its container, nothing to scroll
// sideways.
func TestBrowserHomeTablesFit(t *testing.T) {
	t.Parallel()
	env := newBrowserEnv(t)
	for _, path := range []string{"/en/", "/vi/"} {
		tab := env.open(path, emulation.SetDeviceMetricsOverride(1280, 900, 1, false))
		var res struct {
			Doc    int      `json:"doc"`
			Scroll []string `json:"scroll"`
			Wide   []string `json:"wide"`
		}
		if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`(() => {
			const main = document.querySelector('main');
			const right = main.getBoundingClientRect().right - parseFloat(getComputedStyle(main).paddingRight);
			return {
				doc: document.documentElement.scrollWidth,
				scroll: Array.from(document.querySelectorAll('.table-scroll')).filter(d => d.scrollWidth > d.clientWidth + 1)
					.map(d => (d.closest('section') || d).querySelector('h2') ? d.closest('section').querySelector('h2').textContent + ': ' + d.scrollWidth + ' > ' + d.clientWidth : ''),
				wide: Array.from(main.querySelectorAll('table, table *')).filter(el => el.getBoundingClientRect().right > right + 0.5)
					.map(el => el.tagName.toLowerCase() + (typeof el.className === 'string' && el.className ? '.' + el.className : '') + ' ' + Math.round(el.getBoundingClientRect().right) + 'px'),
			};
		})()`, &res)); err != nil {
			t.Fatal(err)
		}
		if res.Doc > 1280 {
			t.Errorf("%s at 1280 px: the page scrolls sideways (%d px wide)", path, res.Doc)
		}
		for _, s := range res.Scroll {
			t.Errorf("%s at 1280 px: a table scrolls sideways: %s", path, s)
		}
		for i, w := range res.Wide {
			if i == 10 {
				t.Errorf("%s at 1280 px: … %d more", path, len(res.Wide)-10)
				break
			}
			t.Errorf("%s at 1280 px: %s reaches beyond the page's column", path, w)
		}
		tab.checkClean()
	}
}
