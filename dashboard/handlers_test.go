package dashboard_test

import (
	"encoding/json"
	"html"
	"io"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

func get(t *testing.T, h http.Handler, url string) (int, string, http.Header) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b), rec.Result().Header
}

var tagRe = regexp.MustCompile(`<[^>]*>`)
var spaceRe = regexp.MustCompile(`\s+`)

// text is what a reader sees of an HTML fragment.
func text(s string) string {
	return strings.TrimSpace(spaceRe.ReplaceAllString(html.UnescapeString(tagRe.ReplaceAllString(s, " ")), " "))
}

// row returns the scorecard or table row of an indicator, as text.
func row(t *testing.T, body, attr string) string {
	t.Helper()
	i, start := rowAt(t, body, attr)
	j := strings.Index(body[i:], "</tr>")
	return text(body[start : i+j])
}

// rowAt finds the row that attr opens (`<tr data-indicator="x">`, whatever
// other attributes the tag has): where it starts, and where its content
// starts.
func rowAt(t *testing.T, body, attr string) (int, int) {
	t.Helper()
	open := strings.TrimSuffix(attr, ">")
	for i := 0; ; {
		k := strings.Index(body[i:], open)
		if k < 0 {
			t.Fatalf("no row %s on the page", attr)
		}
		i += k
		rest := body[i+len(open):]
		if strings.HasPrefix(rest, ">") || strings.HasPrefix(rest, " ") {
			return i, i + len(open) + strings.Index(rest, ">") + 1
		}
		i += len(open)
	}
}

// cells splits a row into its cells, as text.
func cells(t *testing.T, body, attr string) []string {
	t.Helper()
	i, _ := rowAt(t, body, attr)
	j := strings.Index(body[i:], "</tr>")
	parts := regexp.MustCompile(`<t[hd]\b[^>]*>`).Split(body[i:i+j], -1)
	var out []string
	for _, p := range parts[1:] {
		out = append(out, text(p))
	}
	return out
}

func TestPages(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	cases := []struct {
		name, url string
		status    int
		want      []string
		notWant   []string
	}{
		{"overview lists pairs by programme country", "/", 200,
			[]string{"Vietnam", "Indonesia", "South Africa", "South Korea", "Australia", `/pairs/hanoi-milan"`, `/pairs/ho-chi-minh-city-kosice"`, "Scottish Cities Alliance"}, nil},
		{"pair page", "/pairs/hanoi-milan", 200, []string{"Hanoi – Milan", "Hà Nội", "Milano", "Not reported by either side"}, []string{"NaN"}},
		{"city page", "/cities/kosice", 200, []string{"Košice", "Kosice", "Ho Chi Minh City – Košice"}, nil},
		{"country as context", "/cities/vietnam", 200, []string{"Việt Nam"}, nil},
		{"indicator list", "/indicators", 200, []string{"ISO 37120:2018 7.1", "ISO 37120:2018 8.3", "pm25_annual_mean", "none yet"}, nil},
		{"indicator page", "/indicators/ghg_per_capita", 200, []string{"population of 2014", "Total GHG emissions"}, nil},
		{"about", "/about", 200, []string{"This data was collected in partnership by CDP and ICLEI", "CC BY 3.0 IGO", "newest vintage", "Break in series"}, nil},
		{"unknown pair", "/pairs/hanoi-paris", 404, []string{"There is no page at this address"}, []string{"hanoi-paris\": not found", "sql"}},
		{"unknown city", "/cities/atlantis", 404, []string{"There is no page at this address"}, nil},
		{"unknown indicator", "/indicators/happiness", 404, []string{"There is no page at this address"}, nil},
		{"health", "/healthz", 200, []string{"ok"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body, _ := get(t, app.Handler, c.url)
			if code != c.status {
				t.Fatalf("GET %s = %d, want %d", c.url, code, c.status)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) && !strings.Contains(html.UnescapeString(body), w) {
					t.Errorf("GET %s lacks %q", c.url, w)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(body, w) {
					t.Errorf("GET %s shows %q", c.url, w)
				}
			}
		})
	}
}

func TestPairScorecardNumbers(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/pairs/hanoi-milan")
	c := cells(t, body, `<tr data-indicator="pm25_annual_mean">`)
	if len(c) != 5 {
		t.Fatalf("PM2.5 row has %d cells: %q", len(c), c)
	}
	hanoi, milan, gap, better := c[1], c[2], c[3], c[4]
	for _, w := range []string{"52.09", "µg/m³", "2019", "WHO AAQ database 2022"} {
		if !strings.Contains(hanoi, w) {
			t.Errorf("Hanoi's PM2.5 cell %q lacks %q", hanoi, w)
		}
	}
	for _, w := range []string{"20.87", "2019", "WHO AAQ database 2022"} {
		if !strings.Contains(milan, w) {
			t.Errorf("Milan's PM2.5 cell %q lacks %q", milan, w)
		}
	}
	// 52.09 / 20.87 = 2.496; 52.09 − 20.87 = 31.22.
	if !strings.Contains(gap, "2.5×") || !strings.Contains(gap, "+31.22") {
		t.Errorf("gap %q, want 2.5× and +31.22", gap)
	}
	if strings.Contains(gap, " vs ") {
		t.Errorf("same-year, same-source values carry a warning: %q", gap)
	}
	if !strings.Contains(better, "Milan") || !strings.Contains(better, "lower is better") {
		t.Errorf("better cell %q, want Milan, lower is better", better)
	}

	// PM10: Hanoi's latest is 2016 while Milan's is 2019, from other
	// sources: the comparison says so.
	pm10 := row(t, body, `<tr data-indicator="pm10_annual_mean">`)
	if !strings.Contains(pm10, "Hanoi 2016 vs Milan 2019") || !strings.Contains(pm10, "different sources") {
		t.Errorf("PM10 row lacks its year and source warnings: %q", pm10)
	}
}

func TestPairPageShowsMissingAsMissing(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/pairs/ho-chi-minh-city-kosice")
	c := cells(t, body, `<tr data-indicator="ghg_total_reported">`)
	hcmc, kosice, gap := c[1], c[2], c[3]
	if !strings.Contains(hcmc, "30,012,000") || !strings.Contains(hcmc, "2013") {
		t.Errorf("HCMC inventory cell %q, want 30,012,000 t CO2e (2013)", hcmc)
	}
	if kosice != "no data for Košice" {
		t.Errorf("Košice inventory cell %q, want it shown as missing", kosice)
	}
	if strings.Contains(gap, "×") {
		t.Errorf("a gap is computed against a missing value: %q", gap)
	}
	// GHG per capita: HCMC's 2013 inventory over its 2015 population.
	pc := cells(t, body, `<tr data-indicator="ghg_per_capita">`)
	if !strings.Contains(pc[1], "population of 2015") || pc[2] != "no data for Košice" {
		t.Errorf("GHG per capita cells %q", pc[1:3])
	}
}

// chartOption decodes the option JSON of a chart on a page.
func chartOption(t *testing.T, body, id string) map[string]any {
	t.Helper()
	re := regexp.MustCompile(`<script type="application/json" id="` + regexp.QuoteMeta(id) + `-option">([\s\S]*?)</script>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no chart %s on the page", id)
	}
	var opt map[string]any
	if err := json.Unmarshal([]byte(m[1]), &opt); err != nil {
		t.Fatalf("chart %s option is not JSON: %v", id, err)
	}
	return opt
}

// seriesValues maps a line series' years to its values. Years are on a
// value axis drawn to scale: each item's value is [year, value], with
// "-" where the line has a gap.
func seriesValues(t *testing.T, opt map[string]any, name string) map[string]any {
	t.Helper()
	for _, s := range opt["series"].([]any) {
		sm := s.(map[string]any)
		if sm["name"] != name {
			continue
		}
		out := map[string]any{}
		for _, d := range sm["data"].([]any) {
			v := d.(map[string]any)["value"].([]any)
			year := v[0].(float64)
			if year != math.Trunc(year) {
				continue // a break between two sources, half-way
			}
			out[strconv.Itoa(int(year))] = v[1]
		}
		return out
	}
	t.Fatalf("no series %q", name)
	return nil
}

func TestPairChartHoldsSeededSeries(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/pairs/hanoi-milan?theme=air")
	opt := chartOption(t, body, "chart_line_hanoi_milan_pm25_annual_mean")
	hanoi := seriesValues(t, opt, "Hanoi")
	milan := seriesValues(t, opt, "Milan")
	for y, want := range map[string]float64{"2015": 81.76, "2016": 50.81, "2017": 42.46, "2018": 40.53, "2019": 52.09} {
		if hanoi[y] != want {
			t.Errorf("Hanoi PM2.5 %s = %v, want %v", y, hanoi[y], want)
		}
	}
	for y, want := range map[string]float64{"2010": 25.13, "2019": 20.87} {
		if milan[y] != want {
			t.Errorf("Milan PM2.5 %s = %v, want %v", y, milan[y], want)
		}
	}
	// Missing years are gaps, never zero: inside a series a gap item,
	// before its first year nothing.
	if _, drawn := hanoi["2010"]; milan["2011"] != "-" || drawn {
		t.Errorf("missing years drawn as %v and %v, want gaps", milan["2011"], hanoi["2010"])
	}
	// The 2016 choice among three values is stated in the table.
	if !strings.Contains(html.UnescapeString(body), "3 values — showing WHO AAQ database 2022 (data version 2022) (the newest vintage)") {
		t.Error("the page does not say which of Hanoi's three 2016 values it shows and why")
	}
	// National context lines are dashed and named as national.
	found := false
	for _, s := range opt["series"].([]any) {
		sm := s.(map[string]any)
		if strings.Contains(sm["name"].(string), "(national)") {
			found = true
			if ls, _ := sm["lineStyle"].(map[string]any); ls["type"] != "dashed" {
				t.Errorf("national series %v is not dashed", sm["name"])
			}
		}
	}
	if !found {
		t.Error("no national context line on the PM2.5 chart")
	}
}

func TestAssetsAreHashedAndCached(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/pairs/hanoi-milan")
	m := regexp.MustCompile(`data-echarts="(/assets/vendor/echarts\.[0-9a-f]{12}\.min\.js)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("the pair page does not load ECharts from a hashed local URL")
	}
	code, js, hdr := get(t, app.Handler, m[1])
	if code != 200 || !strings.Contains(hdr.Get("Cache-Control"), "immutable") || !strings.HasPrefix(hdr.Get("Content-Type"), "text/javascript") {
		t.Errorf("GET %s = %d %q %q", m[1], code, hdr.Get("Cache-Control"), hdr.Get("Content-Type"))
	}
	if !strings.Contains(js, "echarts") || len(js) < 100000 {
		t.Errorf("ECharts is %d bytes", len(js))
	}
	if code, _, _ := get(t, app.Handler, "/assets/vendor/echarts.min.000000000000.js"); code != 404 {
		t.Errorf("an unknown asset answers %d", code)
	}
	for _, page := range []string{"/", "/pairs/hanoi-milan", "/cities/hanoi", "/indicators/pm25_annual_mean", "/about"} {
		_, b, _ := get(t, app.Handler, page)
		// Anything the page loads (scripts, images, styles, icons) comes
		// from the app; links to other pages, alternate languages
		// included, are not loads.
		if m := regexp.MustCompile(`<(script|img|iframe|source|video|audio|embed)\b[^>]*\bsrc="(https?:)?//[^"]*"|<link\b[^>]*rel="(stylesheet|icon|preload|modulepreload|manifest)"[^>]*href="(https?:)?//[^"]*"`).FindString(b); m != "" {
			t.Errorf("%s loads something from another host: %s", page, m)
		}
		if strings.Contains(b, "<script>") {
			t.Errorf("%s has an inline script", page)
		}
	}
}

const hostile = `</script><script>alert(1)</script>`

// hostileSeed renames a source and a city to a script tag.
func hostileSeed(t *testing.T) fs.FS {
	t.Helper()
	m := testapp.SeedCopy(t)
	quoted := `"` + strings.ReplaceAll(hostile, `"`, `""`) + `"`
	replace := func(file, old, new string) {
		s := string(m[file].Data)
		if !strings.Contains(s, old) {
			t.Fatalf("%s lacks %q", file, old)
		}
		m[file].Data = []byte(strings.Replace(s, old, new, 1))
	}
	replace("sources.csv", "WHO AAQ database 2022 (data version 2022)", quoted)
	replace("areas.csv", "\nmilan,Milan,", "\nmilan,"+quoted+",")
	return m
}

func TestHostileLabelsAreEscaped(t *testing.T) {
	app := testapp.New(t, testapp.Options{Seed: hostileSeed(t)})
	for _, page := range []string{"/", "/pairs/hanoi-milan", "/pairs/hanoi-milan?theme=air", "/cities/milan", "/cities/hanoi", "/indicators", "/indicators/pm25_annual_mean", "/about"} {
		code, body, _ := get(t, app.Handler, page)
		if code != 200 {
			t.Fatalf("GET %s = %d", page, code)
		}
		if strings.Contains(body, "<script>alert(1)") {
			t.Errorf("%s writes the hostile label as markup", page)
		}
	}
	_, body, _ := get(t, app.Handler, "/pairs/hanoi-milan?theme=air")
	if !strings.Contains(body, "&lt;/script&gt;&lt;script&gt;alert(1)") {
		t.Error("the hostile label is not shown as text")
	}
	// Inside the chart option the label is data: it decodes back to the
	// same string, while the page bytes hold only its escaped form.
	opt := chartOption(t, body, "chart_line_hanoi_milan_pm25_annual_mean")
	found := false
	for _, s := range opt["series"].([]any) {
		if s.(map[string]any)["name"] == hostile {
			found = true
		}
	}
	if !found {
		t.Error("the hostile city name is not a series name in the chart option")
	}
}
