package dashboard_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// section returns the text of the element that carries attr, up to the
// next closing tag given.
func section(t *testing.T, body, attr, end string) string {
	t.Helper()
	i := strings.Index(body, attr)
	if i < 0 {
		t.Fatalf("no %s on the page", attr)
	}
	i += strings.Index(body[i:], ">") + 1
	j := strings.Index(body[i:], end)
	if j < 0 {
		t.Fatalf("%s is not closed by %s", attr, end)
	}
	return tidy(text(body[i : i+j]))
}

// tidy drops the space text leaves where a tag stood before a comma or
// a colon.
func tidy(s string) string {
	return strings.NewReplacer(" ,", ",", " :", ":").Replace(s)
}

// TestPairCommitmentsHanoiMilan reads the commitments as a policymaker
// would on /pairs/hanoi-milan: each side's targets with status and
// source, the honest comparison, and Milan's progress with the
// arithmetic shown.
func TestPairCommitmentsHanoiMilan(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	code, body, _ := get(t, app.Handler, "/en/pairs/hanoi-milan")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	// The page opens with what it can compare, then the commitments,
	// both before the scorecard.
	lead, commit, score := strings.Index(body, `id="lead"`), strings.Index(body, `id="commitments"`), strings.Index(body, `id="scorecard"`)
	if lead < 0 || commit < lead || score < commit {
		t.Fatalf("order: lead %d, commitments %d, scorecard %d", lead, commit, score)
	}
	// Air quality: PM2.5 and PM10 both sides, reported; climate: Hanoi
	// reports nothing, so nothing is common.
	if got := section(t, body, `data-theme="air"`, "</tr>"); got != "Air quality 2 1 0 2 reported or official" {
		t.Errorf("air row: %q", got)
	}
	if got := section(t, body, `data-theme="climate"`, "</tr>"); !strings.HasPrefix(got, "Climate 0 ") || !strings.HasSuffix(got, "nothing to compare") {
		t.Errorf("climate row: %q", got)
	}
	cmp := section(t, body, "data-compare", "</p>")
	want := "Hanoi: −15 % by 2030 against 2020, in a policy document; Milan: −45 % by 2030 against 2005, in a policy document — different base years"
	if cmp != want {
		t.Errorf("comparison:\n got %q\nwant %q", cmp, want)
	}
	hanoi := section(t, body, `data-city="hanoi"`, `data-city="milan"`)
	for _, w := range []string{
		"Net zero or neutrality: Net zero by 2050, in a policy document (Net Zero Tracker 2022)",
		"No target, as reported to CDP in 2021",
		"−15 % by 2030 against 2020: not computed: no inventory of Hanoi after 2020 and up to 2030",
	} {
		if !strings.Contains(hanoi, w) {
			t.Errorf("Hanoi lacks %q:\n%s", w, hanoi)
		}
	}
	milan := section(t, body, `data-city="milan"`, "<details><summary>")
	for _, w := range []string{
		"Carbon neutrality by 2050, in a policy document (Net Zero Tracker 2022)",
		"41.5 % achieved, as the city reported (2021)",
		// CDP's 2020 report: GPC BASIC 2017, 5,266,149 t, against the
		// 2005 base of 7,418,000 t the target prints: 29 % below; the
		// path to −45 % by 2030 needs 45 × 12/25 = 21.6 % by 2017.
		"−45 % by 2030 against 2005: 2017 inventory 5.27 Mt is 29 % below 2005; the straight path from 2005 to −45 % by 2030 needs −22 % by 2017: ahead",
		"base: 7.42 Mt in 2005, as printed with the target; inventory: GHG emissions, GPC BASIC",
		// The 2016 report's 7418 is not the inventory's unit.
		"−20 % by 2020 against 2005:",
		"Targets of Metropolitan City of Milan, a larger area (not the city's own)",
	} {
		if strings.Count(milan, w) != 1 && strings.HasPrefix(w, "−") {
			t.Errorf("Milan's progress line %q appears %d times", w, strings.Count(milan, w))
		}
		if !strings.Contains(milan, w) {
			t.Errorf("Milan lacks %q:\n%s", w, milan)
		}
	}
	// The GHG chart: the inventory, and each target as the straight path
	// from its base, ending at its point in the target year.
	opt := chartOption(t, body, "chart_targets_milan")
	inv := seriesValues(t, opt, "Milan · GHG emissions, GPC BASIC")
	path := seriesValues(t, opt, "straight path to −45 % by 2030 against 2005")
	// The path ends at its target year: nothing is drawn after it.
	if _, after := path["2031"]; inv["2017"] != 5266149.0 || path["2005"] != 7418000.0 || path["2030"] != 4079900.0 || path["2017"] != 5815712.0 || after {
		t.Errorf("chart: inventory 2017 %v; path 2005 %v, 2017 %v, 2030 %v, 2031 %v", inv["2017"], path["2005"], path["2017"], path["2030"], path["2031"])
	}
	if !strings.Contains(body, "−55 % by 2030 against 1990") {
		t.Error("Italy's national target is not shown as context")
	}
	// In Vietnamese, with the reader's number format.
	_, vi, _ := get(t, app.Handler, "/vi/pairs/hanoi-milan")
	for _, w := range []string{"Giảm 15 % vào năm 2030 so với năm 2020", "trong văn bản chính sách", "khác năm cơ sở", "5,27 Mt", "vượt tiến độ"} {
		if !strings.Contains(text(vi), w) {
			t.Errorf("Vietnamese page lacks %q", w)
		}
	}
}

// TestCityPageMergeRule: Carbon Monitor's "Seoul" is a larger area that
// contains Suwon; Suwon's page says its values are never Suwon's.
func TestCityPageMergeRule(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/en/cities/suwon")
	got := section(t, body, `data-contained-in="seoul-fua-carbon-monitor"`, "</p>")
	if !strings.Contains(got, "Seoul functional urban area (Carbon Monitor Cities) is a larger area") || !strings.Contains(got, "never shown as Suwon's") {
		t.Errorf("Suwon: %q", got)
	}
	// Suwon's own commitments: the tracker's GHG neutrality 2050 pledge
	// and CDP 2021's −25 % by 2030 against 2005.
	s := section(t, body, `data-city="suwon"`, "</section>")
	for _, w := range []string{"Carbon neutrality by 2050 (end target), a declaration or pledge", "printed: GHG neutral(ity)", "−25 % by 2030 against 2005"} {
		if !strings.Contains(s, w) {
			t.Errorf("Suwon commitments lack %q:\n%s", w, s)
		}
	}
	_, fua, _ := get(t, app.Handler, "/en/cities/seoul-fua-carbon-monitor")
	if got := section(t, fua, "data-contains", "</p>"); !strings.Contains(got, "never to one of them: Suwon, Seoul") {
		t.Errorf("the FUA's page: %q", got)
	}
	// Canberra's page brings the Australian Capital Territory's targets
	// as a larger area's.
	_, cbr, _ := get(t, app.Handler, "/en/cities/canberra")
	c := section(t, cbr, `data-city="canberra"`, "</section>")
	if !strings.Contains(c, "Targets of Australian Capital Territory, a larger area") || !strings.Contains(c, "Net zero by 2045 (end target), in law") {
		t.Errorf("Canberra: %s", c)
	}
}

// modelledSeed adds a modelled source and one real Carbon Monitor
// Cities figure: Hanoi's 2019 fossil CO2, the sum of its five sectors
// in the v0325 file (1,202,255,735 + 1,928,401,983 + 2,186,328,323 +
// 453,685,793 + 11,602,969,440 kg).
func modelledSeed(t *testing.T) fs.FS {
	m := testapp.SeedCopy(t)
	src := m["sources.csv"].Data
	src = append(src, []byte("carbon_monitor_cities_v0325,\"Carbon Monitor Cities v0325 (Huo et al. 2022, Sci Data 9:533)\",Carbon Monitor Cities,Carbon Monitor,https://cities.carbonmonitor.org/,v0325,CC BY 4.0,https://creativecommons.org/licenses/by/4.0/,Modelled daily CO2 per functional urban area.,\"Huo, D. et al. Carbon Monitor Cities. Sci Data 9, 533 (2022).\",0,Carbon Monitor Cities v0325,,modelled\n")...)
	m["sources.csv"] = &fstest.MapFile{Data: src}
	obs := m["indicator_values_seed.csv"].Data
	obs = append(obs, []byte("Hanoi,VNM,co2_emissions_total,2019,17373641.274,tCO2,17373641274 kg (sum of 5 sectors),,Carbon Monitor Cities v0325,https://cities.carbonmonitor.org/,carbon-monitor-cities-all-cities-FUA-v0325_processed.csv,locode=VN HAN; year=2019,modelled\n")...)
	m["indicator_values_seed.csv"] = &fstest.MapFile{Data: obs}
	return m
}

// TestReportedAgainstModelledIsWarned: Hanoi's modelled CO2 against
// Milan's reported CO2 carries a visible warning, a badge, a legend
// mark, and the kind in the API and downloads.
func TestReportedAgainstModelledIsWarned(t *testing.T) {
	app := testapp.New(t, testapp.Options{Seed: modelledSeed(t)})
	_, body, _ := get(t, app.Handler, "/en/pairs/hanoi-milan?theme=climate")
	r := row(t, body, `data-indicator="co2_emissions_total"`)
	if !strings.Contains(r, "modelled against reported: Hanoi's value is a modelled estimate, Milan's is reported or official") {
		t.Errorf("no warning in the scorecard row: %s", r)
	}
	if !strings.Contains(r, "17,373,641.27") || !strings.Contains(r, "modelled") {
		t.Errorf("the modelled value is not badged: %s", r)
	}
	if got := section(t, body, `data-theme="climate"`, "</tr>"); !strings.Contains(got, "2 reported against modelled (warned)") {
		t.Errorf("lead: %q", got)
	}
	opt := chartOption(t, body, "chart_line_hanoi_milan_co2_emissions_total")
	if seriesValues(t, opt, "Hanoi (modelled)") == nil {
		t.Error("the legend does not mark Hanoi's modelled series")
	}
	var api struct {
		Data []struct {
			City       string `json:"city"`
			SourceKind string `json:"source_kind"`
			Modelled   bool   `json:"modelled"`
		}
	}
	getJSON(t, app.Handler, "/api/v1/observations?indicator=co2_emissions_total", &api)
	var seen int
	for _, o := range api.Data {
		switch o.City {
		case "hanoi":
			seen++
			if !o.Modelled || o.SourceKind != "modelled" {
				t.Errorf("API Hanoi: %+v", o)
			}
		case "milan":
			seen++
			if o.Modelled || o.SourceKind != "reported" {
				t.Errorf("API Milan: %+v", o)
			}
		}
	}
	if seen != 2 {
		t.Errorf("API rows: %+v", api.Data)
	}
	_, csv, _ := get(t, app.Handler, "/data/download?format=csv&indicator=co2_emissions_total")
	for _, rec := range readCSV(t, bytes.NewReader([]byte(csv))) {
		if want := map[string]string{"hanoi": "modelled", "milan": "reported"}[rec["city_code"]]; rec["source_kind"] != want {
			t.Errorf("download %s: source_kind %q, want %q", rec["city_code"], rec["source_kind"], want)
		}
	}
	// The about page names each source's kind.
	_, about, _ := get(t, app.Handler, "/en/about")
	i := strings.Index(about, "carbon_monitor_cities_v0325")
	if i < 0 || !strings.Contains(about[i:], `data-source-kind="modelled"`) || !strings.Contains(about, `data-source-kind="official"`) {
		t.Error("the about page does not say which sources are modelled")
	}
	// The overview never sets the two against each other.
	_, ov, _ := get(t, app.Handler, "/en/")
	if strings.Contains(text(ov), "17,373,641") {
		t.Error("the overview compares a modelled value with a reported one")
	}
}

// TestTargetsAPI: the targets of a city, filtered, as JSON and CSV.
func TestTargetsAPI(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	var out struct {
		Data []struct {
			City             string   `json:"city"`
			Kind             string   `json:"kind"`
			Summary          string   `json:"summary"`
			Status           string   `json:"status"`
			Source           string   `json:"source"`
			SourceKind       string   `json:"source_kind"`
			BaseValue        *float64 `json:"base_value"`
			AchievedReported *float64 `json:"achieved_percent_reported"`
			ReportYear       int      `json:"report_year"`
		}
		Meta struct{ Count int }
	}
	code, _ := getJSON(t, app.Handler, "/api/v1/targets?city=milan", &out)
	if code != http.StatusOK || out.Meta.Count != len(out.Data) || len(out.Data) != 7 {
		t.Fatalf("status %d, %d targets (meta %d)", code, len(out.Data), out.Meta.Count)
	}
	found := false
	for _, d := range out.Data {
		if d.Source == "cdp_targets_2021" && d.Summary == "−45 % by 2030 against 2005" {
			found = d.BaseValue != nil && *d.BaseValue == 7418000 && d.AchievedReported != nil && *d.AchievedReported == 41.5 && d.SourceKind == "reported"
		}
	}
	if !found {
		t.Errorf("Milan's CDP 2021 target: %+v", out.Data)
	}
	getJSON(t, app.Handler, "/api/v1/targets?pair=hanoi-milan&kind=no_target", &out)
	var who []string
	for _, d := range out.Data {
		who = append(who, d.City+" "+d.Source)
	}
	if strings.Join(who, "; ") != "hanoi cdp_targets_2021; milan-metropolitan-city cdp_targets_2021" {
		t.Errorf("No target statements of the pair: %q", who)
	}
	getJSON(t, app.Handler, "/api/v1/targets?city=vietnam&kind=net_zero", &out)
	if len(out.Data) != 1 || out.Data[0].Status != "policy" || out.Data[0].Summary != "Net zero by 2050" {
		t.Errorf("Vietnam: %+v", out.Data)
	}
	_, csv, hdr := get(t, app.Handler, "/api/v1/targets?city=hanoi&format=csv")
	recs := readCSV(t, bytes.NewReader([]byte(csv)))
	if !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || len(recs) != 3 || recs[0]["summary"] == "" {
		t.Errorf("CSV: %q %v", hdr.Get("Content-Type"), recs)
	}
	code, body, _ := get(t, app.Handler, "/api/v1/targets?kind=promise")
	var prob struct {
		InvalidParams []struct{ Name string } `json:"invalid_params"`
	}
	json.Unmarshal([]byte(body), &prob)
	if code != http.StatusBadRequest || len(prob.InvalidParams) != 1 || prob.InvalidParams[0].Name != "kind" {
		t.Errorf("bad kind: %d %s", code, body)
	}
}

var pairRowRe = regexp.MustCompile(`(?s)<tr>\s*<th scope="row"><a href="/en/pairs/([a-z-]+)">.*?</th>\s*<td class="lowcarbon"[^>]*>(.*?)</td>`)

// TestOverviewLowCarbonEveryPair: every one of the 15 pairs shows a
// low-carbon comparison or says exactly why there is none.
func TestOverviewLowCarbonEveryPair(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/en/")
	got := map[string]string{}
	for _, m := range pairRowRe.FindAllStringSubmatch(body, -1) {
		got[m[1]] = tidy(text(m[2]))
	}
	if len(got) != 15 {
		t.Fatalf("%d pairs on the overview", len(got))
	}
	for slug, s := range got {
		if s == "" || (!strings.HasPrefix(s, "Commitments:") && !strings.HasPrefix(s, "No low-carbon comparison:") && !strings.Contains(s, "per capita")) {
			t.Errorf("%s: %q", slug, s)
		}
	}
	want := map[string]string{
		"hanoi-milan":               "Commitments: Hanoi: Net zero by 2050, in a policy document · Milan: Carbon neutrality by 2050, in a policy document",
		"ho-chi-minh-city-kosice":   "No low-carbon comparison: Ho Chi Minh City has no modelled CO2 estimate per capita; Košice has no target or statement about targets in the Net Zero Tracker",
		"nelson-mandela-bay-malaga": "Commitments: Nelson Mandela Bay: No target found by the tracker (checked 2021) · Málaga: Carbon neutrality by 2050",
		"canberra-prague":           "Commitments: Canberra: −100 % by 2050 against 1990 · Prague: Net zero by 2050, in a policy document",
	}
	for slug, w := range want {
		if !strings.HasPrefix(got[slug], w) {
			t.Errorf("%s:\n got %q\nwant %q…", slug, got[slug], w)
		}
	}
	if !strings.Contains(got["adelaide-manchester"], "GHG emissions per capita, reported: Adelaide 24.28 t CO2e per person (2016)") {
		t.Errorf("adelaide-manchester: %q", got["adelaide-manchester"])
	}
}

// TestTargetsChartPathsAreLines: on Milan's chart of its inventory
// against its targets, each straight path is a line with a point only
// at its base year and its target year, the inventory keeps a point a
// year, and the legend wraps instead of paging.
func TestTargetsChartPathsAreLines(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/pairs/hanoi-milan")
	opt := chartOption(t, body, "chart_targets_milan")
	if lg, _ := opt["legend"].(map[string]any); lg["type"] != "plain" {
		t.Errorf("legend %v, want one that wraps (type plain)", opt["legend"])
	}
	paths := 0
	for _, s := range opt["series"].([]any) {
		sm := s.(map[string]any)
		name, _ := sm["name"].(string)
		data, _ := sm["data"].([]any)
		var points []float64
		for _, d := range data {
			dm := d.(map[string]any)
			v := dm["value"].([]any)
			if sym, _ := dm["symbol"].(string); sym != "" && sym != "none" {
				points = append(points, v[0].(float64))
			}
		}
		if !strings.HasPrefix(name, "straight path to ") {
			if sm["symbol"] == "none" {
				t.Errorf("the inventory %q is drawn without points", name)
			}
			continue
		}
		paths++
		if sm["symbol"] != "none" {
			t.Errorf("%s: symbol %v, want a line without points", name, sm["symbol"])
		}
		first, last := data[0].(map[string]any)["value"].([]any)[0].(float64), data[len(data)-1].(map[string]any)["value"].([]any)[0].(float64)
		if len(points) != 2 || points[0] != first || points[1] != last || len(data) < 3 {
			t.Errorf("%s: points at %v of %d years, want only the base %v and the target %v", name, points, len(data), first, last)
		}
	}
	if paths == 0 {
		t.Fatal("no straight path on Milan's targets chart")
	}
}

// TestNationalFinalEnergyPerCapitaMissing: the energy theme of a pair
// says that its countries' final energy consumption per capita is not
// drawn, and why (no dated national population), and no such value is
// served: none is computed from an undated population.
func TestNationalFinalEnergyPerCapitaMissing(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/pairs/hanoi-milan")
	i := strings.Index(body, `id="national-gap"`)
	if i < 0 {
		t.Fatal("no national gap on the pair page")
	}
	gap := text(body[i : i+strings.Index(body[i:], "</p>")])
	for _, w := range []string{"final energy consumption per capita of", "Italy", "Vietnam", "No dated national population", "without saying for which year"} {
		if !strings.Contains(gap, w) {
			t.Errorf("the energy theme's national gap lacks %q: %s", w, gap)
		}
	}
	if strings.Count(body, `id="national-gap"`) != 1 {
		t.Errorf("%d national-gap notes, want the energy theme's only", strings.Count(body, `id="national-gap"`))
	}
	var out struct{ Data []map[string]any }
	for _, country := range []string{"italy", "vietnam"} {
		if code, _ := getJSON(t, app.Handler, "/api/v1/observations?city="+country+"&indicator=final_energy_per_capita", &out); code != http.StatusOK || len(out.Data) != 0 {
			t.Errorf("%s: %d, %d national final energy per capita values", country, code, len(out.Data))
		}
	}
}
