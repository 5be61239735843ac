package dashboard_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/template"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// chartDownload clicks the button under a chart that downloads its slide
// image as kind (png or svg) and returns the file Chromium saved.
func (tab *browserTab) chartDownload(id, kind string) []byte {
	t := tab.env.t
	t.Helper()
	dir := t.TempDir()
	done := make(chan *cdpbrowser.EventDownloadProgress, 1)
	ctx, cancel := context.WithCancel(tab.ctx)
	defer cancel()
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*cdpbrowser.EventDownloadProgress); ok &&
			(e.State == cdpbrowser.DownloadProgressStateCompleted || e.State == cdpbrowser.DownloadProgressStateCanceled) {
			select {
			case done <- e:
			default:
			}
		}
	})
	sel := fmt.Sprintf(`button[data-chart-image=%q][aria-controls=%q]`, kind, id)
	if err := chromedp.Run(tab.ctx,
		cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName).WithDownloadPath(dir).WithEventsEnabled(true),
		chromedp.Click(sel, chromedp.ByQuery, chromedp.NodeVisible),
	); err != nil {
		t.Fatalf("%s: clicking %s: %v", tab.path, sel, err)
	}
	select {
	case e := <-done:
		if e.State != cdpbrowser.DownloadProgressStateCompleted {
			t.Fatalf("%s: the %s download of #%s was cancelled", tab.path, kind, id)
		}
		b, err := os.ReadFile(filepath.Join(dir, e.GUID))
		if err != nil {
			t.Fatalf("%s: reading the %s of #%s: %v", tab.path, kind, id, err)
		}
		return b
	case <-tab.ctx.Done():
		t.Fatalf("%s: no %s download of #%s: %v", tab.path, kind, id, tab.ctx.Err())
	}
	return nil
}

// svgTexts is the text of every <text> of an SVG, in document order.
func svgTexts(t *testing.T, svg []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var out []string
	depth := 0
	var cur strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if el.Name.Local == "text" {
				depth++
			}
		case xml.EndElement:
			if el.Name.Local == "text" {
				depth--
				if depth == 0 {
					out = append(out, cur.String())
					cur.Reset()
				}
			}
		case xml.CharData:
			if depth > 0 {
				cur.Write(el)
			}
		}
	}
	return out
}

// squash drops white space: the footer is wrapped into lines, and an
// address longer than a line is cut anywhere.
func squash(s string) string {
	return strings.Join(strings.Fields(s), "")
}

// chartFacts is what the chart's own data download and the sources API
// say its credit must name.
type chartFacts struct {
	version  string
	from, to int
	sources  []sourceFact
}

type sourceFact struct {
	Code, Name, Publisher, Licence, URL string
	Withheld                            bool
}

func getBody(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return b
}

// facts reads the chart's "data of this chart" CSV (its values, their
// sources, years and data version) and the sources' licences.
func (tab *browserTab) chartFacts(id string) chartFacts {
	t := tab.env.t
	t.Helper()
	var href string
	if err := chromedp.Run(tab.ctx, chromedp.Evaluate(fmt.Sprintf(`document.querySelector('#fig-%s .chart-data a[download]').getAttribute('href')`, id), &href)); err != nil {
		t.Fatalf("%s: the data link of #%s: %v", tab.path, id, err)
	}
	recs, err := csv.NewReader(bytes.NewReader(getBody(t, tab.env.srv.URL+href))).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("%s: the data of #%s: %d rows, %v", tab.path, id, len(recs), err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var f chartFacts
	var codes []string
	for _, r := range recs[1:] {
		y, err := strconv.Atoi(r[col["year"]])
		if err != nil {
			continue
		}
		if f.from == 0 || y < f.from {
			f.from = y
		}
		f.to = max(f.to, y)
		f.version = r[col["dataset_version"]]
		if c := r[col["source_code"]]; !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	var api struct {
		Data []struct {
			Code           string `json:"code"`
			Title          string `json:"title"`
			ShortTitle     string `json:"short_title"`
			Publisher      string `json:"publisher"`
			URL            string `json:"url"`
			Licence        string `json:"licence"`
			Redistribution string `json:"redistribution"`
		} `json:"data"`
	}
	if err := json.Unmarshal(getBody(t, tab.env.srv.URL+"/api/v1/sources"), &api); err != nil {
		t.Fatal(err)
	}
	for _, s := range api.Data {
		if slices.Contains(codes, s.Code) {
			name := s.ShortTitle
			if name == "" {
				name = s.Title
			}
			f.sources = append(f.sources, sourceFact{Code: s.Code, Name: name, Publisher: s.Publisher, Licence: s.Licence, URL: s.URL, Withheld: s.Redistribution == "not_permitted"})
		}
	}
	if len(f.sources) != len(codes) {
		t.Fatalf("%s: #%s draws values of sources %q; the API knows %d of them", tab.path, id, codes, len(f.sources))
	}
	return f
}

// message is a message of the catalogue filled in, as the pages say it.
func message(t *testing.T, lang, key string, data map[string]any) string {
	t.Helper()
	var cat map[string]string
	b, err := os.ReadFile(filepath.Join("..", "locale", lang+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cat); err != nil {
		t.Fatal(err)
	}
	tpl, err := template.New(key).Parse(cat[key])
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := tpl.Execute(&out, data); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestBrowserChartSlideImages downloads a Hanoi–Milan chart of WHO
// values as a slide image, PNG and SVG, in English and Vietnamese: the
// PNG has twice the pixels of the chart on the page; the SVG shows every
// series in the legend, no legend pager, and a footer naming each source
// with its licence (WHO's with its terms: no redistribution, and where to
// ask), the years, the data version and the chart's address.
func TestBrowserChartSlideImages(t *testing.T) {
	t.Parallel()
	env := newBrowserEnv(t)
	const id = "chart_line_hanoi_milan_pm25_annual_mean"
	for _, lang := range []string{"en", "vi"} {
		path := "/" + lang + "/pairs/hanoi-milan?theme=air"
		tab := env.open(path)
		tab.checkCharts()
		facts := tab.chartFacts(id)
		if !slices.ContainsFunc(facts.sources, func(s sourceFact) bool { return s.Withheld }) {
			t.Fatalf("%s: #%s draws no value of a source that withholds redistribution: the test needs one", path, id)
		}

		var shown struct {
			Width int      `json:"width"`
			Names []string `json:"names"`
		}
		if err := chromedp.Run(tab.ctx, chromedp.Evaluate(fmt.Sprintf(`(() => {
			const el = document.getElementById(%q);
			const o = echarts.getInstanceByDom(el).getOption();
			return {width: el.clientWidth, names: (o.series || []).map(s => s.name).filter(n => n)};
		})()`, id), &shown)); err != nil {
			t.Fatal(err)
		}

		pngBytes := tab.chartDownload(id, "png")
		cfg, err := png.DecodeConfig(bytes.NewReader(pngBytes))
		if err != nil {
			t.Fatalf("%s: the PNG of #%s is not a PNG: %v", path, id, err)
		}
		if cfg.Width != 2*shown.Width {
			t.Errorf("%s: the PNG of #%s is %d px wide, want twice the chart's %d px", path, id, cfg.Width, shown.Width)
		}
		img, err := png.Decode(bytes.NewReader(pngBytes))
		if err != nil {
			t.Fatal(err)
		}
		if n := colours(img, 32); n < 32 {
			t.Errorf("%s: the PNG of #%s has %d colours: blank?", path, id, n)
		}
		t.Logf("%s: PNG of #%s: %d×%d px (chart %d px wide on the page), %d bytes", path, id, cfg.Width, cfg.Height, shown.Width, len(pngBytes))

		svg := tab.chartDownload(id, "svg")
		if dir := os.Getenv("TWINMETRICS_SLIDES_DIR"); dir != "" {
			for ext, b := range map[string][]byte{"png": pngBytes, "svg": svg} {
				if err := os.WriteFile(filepath.Join(dir, id+"-"+lang+"."+ext), b, 0o644); err != nil {
					t.Error(err)
				}
			}
		}
		texts := svgTexts(t, svg)
		all := squash(strings.Join(texts, ""))
		for _, name := range shown.Names {
			if !strings.Contains(all, squash(name)) {
				t.Errorf("%s: the SVG of #%s lacks the legend entry %q", path, id, name)
			}
		}
		pager := regexp.MustCompile(`^\s*\d+\s*/\s*\d+\s*$`)
		for _, tx := range texts {
			if pager.MatchString(tx) {
				t.Errorf("%s: the SVG of #%s has a legend pager (%q)", path, id, tx)
			}
		}
		for _, s := range facts.sources {
			want := message(t, lang, "chart.credit_source", map[string]any{"Source": s.Name, "Publisher": s.Publisher, "Licence": s.Licence})
			if s.Withheld {
				want = message(t, lang, "chart.credit_withheld", map[string]any{"Source": s.Name, "Publisher": s.Publisher, "Licence": s.Licence, "URL": s.URL})
			}
			if !strings.Contains(all, squash(want)) {
				t.Errorf("%s: the SVG of #%s does not credit %s as %q", path, id, s.Code, want)
			}
		}
		years := message(t, lang, "chart.credit_years", map[string]any{"Years": fmt.Sprintf("%d–%d", facts.from, facts.to)})
		// The page's public address (the server's base URL, which the
		// page's Open Graph tag names too), at the chart.
		var pageURL string
		if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`document.querySelector('meta[property="og:url"]').content`, &pageURL)); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(pageURL, path) || !strings.HasPrefix(pageURL, "http") {
			t.Fatalf("%s: og:url %q is not the page's absolute address", path, pageURL)
		}
		address := pageURL + "#fig-" + id
		version := message(t, lang, "chart.credit_version", map[string]any{"Version": facts.version, "Address": address})
		for _, want := range []string{years, version} {
			if !strings.Contains(all, squash(want)) {
				t.Errorf("%s: the SVG of #%s lacks %q", path, id, want)
			}
		}
		t.Logf("%s: SVG of #%s: %d bytes, %d texts, %d series in the legend", path, id, len(svg), len(texts), len(shown.Names))
		tab.checkClean()
	}
}

// TestBrowserSlideCreditEscaped gives the WHO source a name full of
// markup, as stored text may be, and downloads the chart's SVG: the page
// carries the name escaped, the SVG is well-formed and holds it as text,
// with no element of its own.
func TestBrowserSlideCreditEscaped(t *testing.T) {
	t.Parallel()
	const hostile = `WHO </text><script>alert(1)</script> "AAQ" & <b>co</b>`
	seed := testapp.SeedCopy(t)
	recs, err := csv.NewReader(bytes.NewReader(seed["sources.csv"].Data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(recs[0], "short_title")
	changed := 0
	for _, r := range recs[1:] {
		if r[0] == "who_aaq_2022_v2022" {
			r[col] = hostile
			changed++
		}
	}
	if col < 0 || changed != 1 {
		t.Fatalf("sources.csv: short_title column %d, %d WHO rows changed", col, changed)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	seed["sources.csv"].Data = buf.Bytes()

	env := newBrowserEnvWith(t, testapp.Options{Seed: seed})
	const path, id = "/en/pairs/hanoi-milan?theme=air", "chart_line_hanoi_milan_pm25_annual_mean"
	if html := string(getBody(t, env.srv.URL+path)); strings.Contains(html, "<script>alert(1)") || strings.Contains(html, "</text><script>") {
		t.Errorf("%s: the source's name is written into the page unescaped", path)
	}
	tab := env.open(path)
	tab.checkCharts()
	var credit string
	if err := chromedp.Run(tab.ctx, chromedp.Evaluate(fmt.Sprintf(`document.getElementById(%q).dataset.chartCredit`, id), &credit)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(credit, hostile) {
		t.Errorf("%s: the credit of #%s does not name the source as stored: %q", path, id, credit)
	}
	svg := tab.chartDownload(id, "svg")
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: the SVG of #%s is not well-formed: %v", path, id, err)
		}
		if el, ok := tok.(xml.StartElement); ok && (el.Name.Local == "script" || el.Name.Local == "b") {
			t.Errorf("%s: the SVG of #%s has a <%s> element from the source's name", path, id, el.Name.Local)
		}
	}
	if !strings.Contains(squash(strings.Join(svgTexts(t, svg), "")), squash(hostile)) {
		t.Errorf("%s: the SVG of #%s does not show the source's name as text", path, id)
	}
	tab.checkClean()
}
