package dashboard_test

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// TestPairBrief: the handout of Hanoi–Milan carries the values both
// sides report with their years, the gap and verdict, each source with
// its absolute address, the data version and the page's address.
func TestPairBrief(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	code, body, _ := get(t, app.Handler, "/pairs/hanoi-milan/brief")
	if code != 200 {
		t.Fatalf("/pairs/hanoi-milan/brief: %d", code)
	}
	pm := ""
	for _, tr := range strings.Split(body, "<tr>") {
		if strings.Contains(tr, "PM2.5 annual mean") {
			pm = text(tr)
			break
		}
	}
	for _, want := range []string{"52.09 (2019)", "20.87 (2019)", "2.5×", "Milan"} {
		if !strings.Contains(pm, want) {
			t.Errorf("PM2.5 row %q lacks %q", pm, want)
		}
	}
	tx := text(body)
	for _, want := range []string{"Data version 1", "http://127.0.0.1:8080/en/pairs/hanoi-milan",
		"https://www.who.int/data/gho/data/themes/air-pollution/who-air-quality-database",
		"http://127.0.0.1:8080/en/about#source-who_aaq_2022_v2022"} {
		if !strings.Contains(tx, want) {
			t.Errorf("the brief lacks %q", want)
		}
	}
	// The commitments: each city's net-zero and headline reduction
	// targets with their base years, status and source, what differs
	// between the two headline targets, and the source of the targets
	// among the sources, with its address.
	commit := section(t, body, `class="brief-commitments"`, "</section>")
	for _, want := range []string{
		"Hanoi Net zero by 2050 (end target), in a policy document — Net Zero Tracker 2022, 2022",
		"−15 % by 2030 against 2020 (interim target), in a policy document — Net Zero Tracker 2022",
		"Milan Carbon neutrality by 2050 (end target), in a policy document; gases: Carbon dioxide only",
		"−45 % by 2030 against 2005 (interim target), in a policy document; gases: Carbon dioxide only — Net Zero Tracker 2022",
		"The headline reduction targets compared: different base years.",
	} {
		if !strings.Contains(commit, want) {
			t.Errorf("the brief's commitments lack %q:\n%s", want, commit)
		}
	}
	// Milan's earlier targets (−20 % by 2020) stay on the page.
	if strings.Contains(commit, "by 2020 against 2005") {
		t.Errorf("the brief's commitments list Milan's past targets:\n%s", commit)
	}
	if want := "https://zerotracker.net/"; !strings.Contains(tx, want) || !strings.Contains(tx, "http://127.0.0.1:8080/en/about#source-net_zero_tracker_2022") {
		t.Errorf("the brief's sources lack the Net Zero Tracker with its addresses")
	}
	// A city with no target and no statement says so.
	_, scot, _ := get(t, app.Handler, "/pairs/suwon-scottish-cities-alliance/brief")
	if got := section(t, scot, `data-city="dundee"`, "</div>"); !strings.Contains(got, "No target and no statement about one in the sources we hold.") {
		t.Errorf("Dundee's commitments in the brief read %q", got)
	}
	if code, _, _ := get(t, app.Handler, "/pairs/nowhere/brief"); code != 404 {
		t.Errorf("/pairs/nowhere/brief: %d, want 404", code)
	}
	_, page, _ := get(t, app.Handler, "/pairs/hanoi-milan")
	if !strings.Contains(page, `href="/en/pairs/hanoi-milan/brief"`) {
		t.Errorf("the pair page does not link to its brief")
	}
}

// TestPaperNamesTheVersionDate: the printed pair page and brief are
// served from a cache, so the date they print is the day their data
// version was made (data_versions), not the day the page was drawn; the
// day of printing is left to the reader's browser, empty in the HTML.
func TestPaperNamesTheVersionDate(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	v, err := app.Store.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	made, err := app.Store.VersionMade(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	if made.IsZero() {
		t.Fatalf("data version %d has no date in data_versions", v)
	}
	day := made.Format(time.DateOnly)
	drawn := testapp.Fixed.Format(time.DateOnly)
	if day == drawn {
		t.Skipf("the seed was made on the test clock's day, %s: the dates cannot be told apart", day)
	}
	for path, class := range map[string]string{"/en/pairs/hanoi-milan": "page-meta", "/vi/pairs/hanoi-milan": "page-meta", "/en/pairs/hanoi-milan/brief": "brief-meta"} {
		_, body, _ := get(t, app.Handler, path)
		m := regexp.MustCompile(`(?s)<p class="` + class + `">(.*?)</p>`).FindStringSubmatch(body)
		if m == nil {
			t.Errorf("%s: no %s line", path, class)
			continue
		}
		meta := text(m[1])
		if !strings.Contains(meta, strconv.FormatInt(v, 10)+" ") || !strings.Contains(meta, day) {
			t.Errorf("%s: the printed line reads %q: want data version %d and its date %s", path, meta, v, day)
		}
		if strings.Contains(meta, drawn) {
			t.Errorf("%s: the printed line reads %q: it names the day the page was drawn, %s", path, meta, drawn)
		}
		if !strings.Contains(m[1], `<span class="printed-on" hidden>`) || !strings.Contains(m[1], `<span data-printed-on></span>`) {
			t.Errorf("%s: no empty place for the day of printing in %q", path, m[1])
		}
	}
}

// Every brief of a pair whose page draws a chart draws one too. Where
// no headline indicator has values on both sides (Semarang–Zagreb,
// Makassar–Seville, Suwon–Scottish Cities Alliance) the brief draws the
// charts the printed page keeps: the first of the theme the page opens
// on, beside the overview if there is one. These three briefs had no
// chart while their pages drew up to fourteen.
func TestBriefDrawsThePrintedPagesKeyCharts(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	cat, err := app.Store.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	figures := func(body string, keyOnly bool) []string {
		re := regexp.MustCompile(`<figure class="chart-box( key)?" id="fig-([^"]+)"`)
		var out []string
		for _, m := range re.FindAllStringSubmatch(body, -1) {
			if !keyOnly || m[1] != "" {
				out = append(out, m[2])
			}
		}
		return out
	}
	noHeadline := map[string]bool{"semarang-zagreb": true, "makassar-seville": true, "suwon-scottish-cities-alliance": true}
	for _, p := range cat.Pairs {
		_, page, _ := get(t, app.Handler, "/pairs/"+p.Slug)
		_, brief, _ := get(t, app.Handler, "/pairs/"+p.Slug+"/brief")
		onPage, inBrief := figures(page, false), figures(brief, false)
		if len(onPage) > 0 && len(inBrief) == 0 {
			t.Errorf("%s: the page draws %d charts, the brief none", p.Slug, len(onPage))
		}
		if len(onPage) == 0 && len(inBrief) > 0 {
			t.Errorf("%s: the brief draws %v, the page nothing", p.Slug, inBrief)
		}
		if keys := figures(page, true); noHeadline[p.Slug] && !slices.Equal(inBrief, keys) {
			t.Errorf("%s: the brief draws %v, the printed page keeps %v", p.Slug, inBrief, keys)
		}
	}
}
