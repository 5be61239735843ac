package dashboard_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// TestEmbed: the embed of Hanoi–Milan's PM2.5 chart may be framed by any
// site and names its sources and their licences; every other page keeps
// refusing to be framed; the pair page offers the <iframe> to copy.
func TestEmbed(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	code, body, h := get(t, app.Handler, "/embed/pairs/hanoi-milan/pm25_annual_mean")
	if code != 200 {
		t.Fatalf("embed: %d", code)
	}
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "frame-ancestors *") || strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("embed CSP %q: want frame-ancestors *", csp)
	}
	if x := h.Get("X-Frame-Options"); x != "" {
		t.Errorf("embed: X-Frame-Options %q, want none", x)
	}
	for _, want := range []string{`id="chart_line_hanoi_milan_pm25_annual_mean"`, "<table", "WHO Ambient Air Quality Database",
		"http://127.0.0.1:8080/en/pairs/hanoi-milan?theme=air&amp;v=1#fig-chart_line_hanoi_milan_pm25_annual_mean", "data version 1"} {
		if !strings.Contains(body, want) {
			t.Errorf("embed lacks %q", want)
		}
	}
	if strings.Contains(body, `class="site"`) {
		t.Errorf("embed carries the site's header or footer")
	}
	for _, u := range []string{"/pairs/hanoi-milan", "/", "/compare?a=hanoi&b=milan", "/pairs/hanoi-milan/brief"} {
		_, _, h := get(t, app.Handler, u)
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: CSP %q, X-Frame-Options %q: want framing refused", u, csp, h.Get("X-Frame-Options"))
		}
	}
	for _, u := range []string{"/embed/pairs/nowhere/pm25_annual_mean", "/embed/pairs/hanoi-milan/nothing"} {
		if code, _, _ := get(t, app.Handler, u); code != 404 {
			t.Errorf("%s: %d, want 404", u, code)
		}
	}
	_, page, _ := get(t, app.Handler, "/pairs/hanoi-milan?theme=air")
	want := `&lt;iframe src=&#34;http://127.0.0.1:8080/en/embed/pairs/hanoi-milan/pm25_annual_mean&#34;`
	if !strings.Contains(page, want) {
		t.Errorf("the pair page does not offer the PM2.5 chart's <iframe> %s", want)
	}
}

// TestSocialPreview: a link to a pair, city or indicator page pasted
// into a chat shows a title and the app's preview image, served by the
// app at the absolute address the tags give.
func TestSocialPreview(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	imgRe := regexp.MustCompile(`<meta property="og:image" content="http://127\.0\.0\.1:8080(/[^"]+\.png)">`)
	for _, c := range []struct{ url, title string }{
		{"/pairs/hanoi-milan", "Hanoi – Milan"}, {"/cities/hanoi", "Hanoi"}, {"/indicators/pm25_annual_mean", "PM2.5"},
	} {
		_, body, _ := get(t, app.Handler, c.url)
		if !regexp.MustCompile(`<meta property="og:title" content="[^"]*` + regexp.QuoteMeta(c.title)).MatchString(body) {
			t.Errorf("%s: no og:title naming %q", c.url, c.title)
		}
		if !strings.Contains(body, `<meta property="og:url" content="http://127.0.0.1:8080/en`+c.url+`">`) {
			t.Errorf("%s: no absolute og:url", c.url)
		}
		if !strings.Contains(body, `<meta name="twitter:card" content="summary_large_image">`) {
			t.Errorf("%s: no Twitter card", c.url)
		}
		m := imgRe.FindStringSubmatch(body)
		if m == nil {
			t.Errorf("%s: no absolute og:image", c.url)
			continue
		}
		code, img, h := get(t, app.Handler, m[1])
		if code != 200 || h.Get("Content-Type") != "image/png" || !strings.HasPrefix(img, "\x89PNG") {
			t.Errorf("%s: preview image %s: %d %s", c.url, m[1], code, h.Get("Content-Type"))
		}
	}
}

// TestChartDataCSV: beside the PM2.5 chart of Hanoi–Milan, "data of this
// chart" downloads the values it draws: the two cities' and the
// national context series, and no other indicator. WHO's values are
// withheld from downloads by their licence: their rows say so.
func TestChartDataCSV(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, page, _ := get(t, app.Handler, "/pairs/hanoi-milan?theme=air")
	i := strings.Index(page, `id="fig-chart_line_hanoi_milan_pm25_annual_mean"`)
	if i < 0 {
		t.Fatal("no PM2.5 chart")
	}
	m := regexp.MustCompile(`(?s)<p class="chart-data no-print">.*?<a href="([^"]+)" download>`).FindStringSubmatch(page[i:])
	if m == nil {
		t.Fatal("no 'data of this chart' link beside the PM2.5 chart")
	}
	u := strings.ReplaceAll(m[1], "&amp;", "&")
	code, csv, _ := get(t, app.Handler, u)
	if code != 200 {
		t.Fatalf("%s: %d", u, code)
	}
	var hanoi, milan, national bool
	for _, line := range strings.Split(csv, "\n") {
		switch {
		case strings.Contains(line, ",hanoi,Hanoi,") && strings.Contains(line, ",pm25_annual_mean,PM2.5 annual mean,air,2019,") && strings.Contains(line, "Value withheld"):
			hanoi = true
		case strings.Contains(line, ",milan,Milan,") && strings.Contains(line, ",pm25_annual_mean,PM2.5 annual mean,air,2019,") && strings.Contains(line, "Value withheld"):
			milan = true
		}
		if strings.Contains(line, ",vietnam,") && strings.Contains(line, ",pm25_exposure_national,") || strings.Contains(line, ",italy,") && strings.Contains(line, ",pm25_exposure_national,") {
			national = true
		}
		if strings.Contains(line, "pm10_annual_mean") || strings.Contains(line, "population") && !strings.HasPrefix(line, "#") {
			t.Errorf("the chart's data holds another indicator: %s", line)
			break
		}
	}
	if !hanoi || !milan || !national {
		t.Errorf("the chart's data: Hanoi 2019 %v, Milan 2019 %v (each withheld by WHO's licence), national series %v; want all\n%.1500s", hanoi, milan, national, csv)
	}
}
