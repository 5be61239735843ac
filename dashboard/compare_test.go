package dashboard_test

import (
	"context"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// TestCompareTwoCities: Hanoi against Ho Chi Minh City, not a programme
// pair, shows each city's value as its own programme pair page does,
// keeps both cities in the theme links, and offers their values.
func TestCompareTwoCities(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	code, body, _ := get(t, app.Handler, "/compare?a=hanoi&b=ho-chi-minh-city&theme=air")
	if code != 200 {
		t.Fatalf("/compare?a=hanoi&b=ho-chi-minh-city: %d", code)
	}
	if !strings.Contains(text(body), "Not a programme pair") {
		t.Errorf("the page does not say it is not a programme pair")
	}
	const pm = `data-indicator="pm25_annual_mean"`
	got := cells(t, body, pm)
	_, hm, _ := get(t, app.Handler, "/pairs/hanoi-milan")
	_, hk, _ := get(t, app.Handler, "/pairs/ho-chi-minh-city-kosice")
	if want := cells(t, hm, pm)[1]; got[1] != want {
		t.Errorf("Hanoi's PM2.5 cell = %q, want %q as on /pairs/hanoi-milan", got[1], want)
	}
	if want := cells(t, hk, pm)[1]; got[2] != want {
		t.Errorf("Ho Chi Minh City's PM2.5 cell = %q, want %q as on /pairs/ho-chi-minh-city-kosice", got[2], want)
	}
	if !strings.Contains(got[2], "26.62") || !strings.Contains(got[1], "52.09") {
		t.Errorf("PM2.5 row %q: want Hanoi 52.09 (2019) and Ho Chi Minh City 26.62 (2019)", got)
	}
	if !strings.Contains(body, `href="?a=hanoi&amp;b=ho-chi-minh-city&amp;theme=energy#trends"`) {
		t.Errorf("the theme tabs do not keep both areas")
	}
	if !strings.Contains(body, "city=hanoi%2C") || !strings.Contains(body, "ho-chi-minh-city") {
		t.Errorf("no download of both cities' values")
	}
	if !strings.Contains(body, `id="chart_line_hanoi_ho_chi_minh_city_pm25_annual_mean"`) {
		t.Errorf("no PM2.5 trend chart of the two cities")
	}

	for _, c := range []struct {
		url      string
		code     int
		location string
	}{
		{"/compare?a=hanoi&b=hanoi", 303, "/en/cities/hanoi"},
		{"/compare?a=atlantis&b=hanoi", 404, ""},
		{"/compare?a=programme-median&b=hanoi", 404, ""},
	} {
		code, _, h := get(t, app.Handler, c.url)
		if code != c.code || h.Get("Location") != c.location {
			t.Errorf("%s: %d %q, want %d %q", c.url, code, h.Get("Location"), c.code, c.location)
		}
	}

	// The overview and /compare alone carry the form that chooses them.
	for _, u := range []string{"/", "/compare"} {
		_, b, _ := get(t, app.Handler, u)
		if !strings.Contains(b, `action="/en/compare"`) || !strings.Contains(b, `<option value="ho-chi-minh-city">Ho Chi Minh City (`) {
			t.Errorf("%s: no form to choose two areas", u)
		}
	}
}

var medianRe = regexp.MustCompile(`([0-9.,]+) µg/m³ (\d{4}) median of (\d+) programme cities, (\d{4})`)

// TestCompareWithProgrammeMedian: the median side of PM2.5 is the median
// of the programme cities' headline values of its year, computed here
// from the stored values, and says how many cities it is the median of.
func TestCompareWithProgrammeMedian(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	code, body, _ := get(t, app.Handler, "/compare?a=hanoi&b=programme-median")
	if code != 200 {
		t.Fatalf("/compare?a=hanoi&b=programme-median: %d", code)
	}
	cell := cells(t, body, `data-indicator="pm25_annual_mean"`)[2]
	m := medianRe.FindStringSubmatch(cell)
	if m == nil {
		t.Fatalf("median cell %q does not read \"… µg/m³ YEAR median of N programme cities, YEAR\"", cell)
	}
	shown, _ := strconv.ParseFloat(m[1], 64)
	year, _ := strconv.Atoi(m[2])
	n, _ := strconv.Atoi(m[3])

	ctx := context.Background()
	cat, err := app.Store.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ind, _ := cat.Indicator("pm25_annual_mean")
	ids := metrics.ProgrammeCityIDs(cat)
	obs, err := app.Store.ObservationsForAreas(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	d := metrics.NewDataset(obs)
	counts := map[int][]float64{}
	for _, id := range ids {
		for _, p := range d.Series(id, ind.ID) {
			if !p.Projection() {
				counts[p.Year] = append(counts[p.Year], p.Value)
			}
		}
	}
	latest := 0
	for y, vs := range counts {
		if len(vs) >= 5 && y > latest {
			latest = y
		}
	}
	vs := counts[latest]
	sort.Float64s(vs)
	want := vs[len(vs)/2]
	if len(vs)%2 == 0 {
		want = (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
	}
	if year != latest || n != len(vs) || math.Abs(shown-want) > 0.005 {
		t.Errorf("median cell %q: %v in %d of %d cities, want %.2f in %d of %d cities (the latest year at least 5 report)",
			cell, shown, year, n, want, latest, len(vs))
	}
	if strings.Contains(row(t, body, `data-indicator="pm25_annual_mean"`), "different sources") {
		t.Errorf("a median has no one source: no 'different sources' warning")
	}
}
