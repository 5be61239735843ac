package dashboard_test

import (
	"math"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserCompareVietnameseCities draws Hanoi against Ho Chi Minh
// City, two cities of no one programme pair: every chart is drawn, the
// PM2.5 chart carries both cities' seeded values, and the two cities,
// both on the Vietnamese side of their own pairs, get two colours.
func TestBrowserCompareVietnameseCities(t *testing.T) {
	t.Parallel()
	env := newBrowserEnv(t)
	tab := env.open("/compare?a=hanoi&b=ho-chi-minh-city&theme=air")
	if ids := tab.checkCharts(); len(ids) == 0 {
		t.Fatalf("%s: no chart drawn", tab.path)
	}
	const id = "chart_line_hanoi_ho_chi_minh_city_pm25_annual_mean"
	o := tab.liveOption(id)
	// data/indicator_values_seed.csv, WHO AAQ database 2022.
	for _, w := range []struct {
		city, year string
		value      float64
	}{{"Hanoi", "2019", 52.09}, {"Ho Chi Minh City", "2019", 26.62}, {"Ho Chi Minh City", "2018", 26.23}} {
		raw, err := o.at(w.city, w.year)
		if err != nil {
			t.Errorf("chart #%s: %s %s: %v", id, w.city, w.year, err)
			continue
		}
		if v, missing, err := browserPoint(raw); err != nil || missing || math.Abs(v-w.value) > 1e-9 {
			t.Errorf("chart #%s: %s %s = %s, want %v", id, w.city, w.year, raw, w.value)
		}
	}
	var colours map[string]string
	if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`(() => {
		const o = echarts.getInstanceByDom(document.getElementById('`+id+`')).getOption();
		const out = {};
		for (const s of o.series) out[s.name] = (s.itemStyle || {}).color || (s.lineStyle || {}).color || '';
		return out;
	})()`, &colours)); err != nil {
		t.Fatal(err)
	}
	if colours["Hanoi"] == "" || colours["Hanoi"] == colours["Ho Chi Minh City"] {
		t.Errorf("chart #%s: Hanoi drawn in %q, Ho Chi Minh City in %q: want two colours", id, colours["Hanoi"], colours["Ho Chi Minh City"])
	}
	tab.checkClean()
}
