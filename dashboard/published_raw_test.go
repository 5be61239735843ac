package dashboard_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// publishRaw uploads a publisher's file from data/raw as staff would,
// read with the profile its header matches, and publishes it.
func publishRaw(t *testing.T, app *testapp.App, rel string) {
	t.Helper()
	ctx := context.Background()
	f, err := os.Open(filepath.Join("..", "data", "raw", rel))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, err := app.Store.UserByEmail(ctx, "raw@example.org")
	if err != nil {
		if u, err = app.Store.AddUser(ctx, "raw@example.org", metrics.RoleEditor, "a long enough password", testapp.Fixed); err != nil {
			t.Fatal(err)
		}
	}
	p, err := app.Uploads.Receive(ctx, f, filepath.Base(rel), u)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = app.Uploads.Check(ctx, p.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Uploads.Publish(ctx, p.Key, u, ingest.PublishOptions{AllowRejected: true, ConfirmWarnings: true}); err != nil {
		t.Fatalf("publish %s: %v", rel, err)
	}
}

// TestPublishedInventoriesAndNationalEnergy publishes the C40 workbook
// and Eurostat's renewable shares as published, then reads the
// Hanoi–Milan page: the C40 inventories and per-capita values of Hanoi
// (2015) and Milan (2020), Milan's progress on C40's 2020 inventory,
// and Italy's renewable share of final energy dashed as national
// context on the energy theme.
func TestPublishedInventoriesAndNationalEnergy(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	publishRaw(t, app, "c40/C40_GPC_Database.xlsx")
	publishRaw(t, app, "eurostat_energy/nrg_ind_ren.csv")
	publishRaw(t, app, "carbon_monitor_cities/carbon-monitor-cities-all-cities-FUA-v0325_processed.csv")
	publishRaw(t, app, "ghs_ucdb_subset/indicators_catalogue_countries.csv")

	_, body, _ := get(t, app.Handler, "/en/pairs/hanoi-milan?theme=climate")
	// Hanoi 2015: 17,936,601.9 t BASIC for 7,390,900 people (C40).
	r := row(t, body, `data-indicator="ghg_gpc_basic"`)
	if !strings.Contains(r, "17,936,601.95") || !strings.Contains(r, "2015") {
		t.Errorf("Hanoi's 2015 C40 inventory is not on the page: %s", r)
	}
	if r := row(t, body, `data-indicator="ghg_basic_per_capita"`); !strings.Contains(r, "2.43") {
		t.Errorf("Hanoi's 2015 per-capita value (17,936,602 / 7,390,900 = 2.43 t) is not on the page: %s", r)
	}
	// Milan's 2020 C40 inventory, 4,291,834 t, against the 2005 base of
	// 7,418,000 t: 42 % below; the path to −45 % by 2030 needs −27 %.
	milan := section(t, body, `data-city="milan"`, "<details><summary>")
	want := "−45 % by 2030 against 2005: 2020 inventory 4.29 Mt is 42 % below 2005; the straight path from 2005 to −45 % by 2030 needs −27 % by 2020: ahead"
	if !strings.Contains(milan, want) {
		t.Errorf("Milan's progress:\n%s\nwant %q", milan, want)
	}

	// Transport CO2: Carbon Monitor for Hanoi's area, GHS-UCDB for
	// Milan; Monza: two modelled datasets, warned, and counted so in
	// the coverage that leads the page.
	if r := row(t, body, `data-indicator="co2_transport"`); !strings.Contains(r, "two different modelled datasets: Carbon Monitor Cities (modelled) vs GHS-UCDB 2019 (modelled)") {
		t.Errorf("transport CO2 row: %s", r)
	}
	if got := section(t, body, `data-theme="climate"`, "</tr>"); !strings.Contains(got, "1 modelled by two different datasets (warned)") {
		t.Errorf("lead: %q", got)
	}
	_, energy, _ := get(t, app.Handler, "/en/pairs/hanoi-milan?theme=energy")
	opt := chartOption(t, energy, "chart_line_hanoi_milan_renewable_energy_share")
	found := false
	for _, s := range opt["series"].([]any) {
		sm := s.(map[string]any)
		name, _ := sm["name"].(string)
		if strings.Contains(name, "Italy") && strings.Contains(name, "national") {
			ls, _ := sm["lineStyle"].(map[string]any)
			found = ls["type"] == "dashed"
		}
	}
	if !found {
		t.Errorf("no dashed national line for Italy on the renewable share chart: %v", opt["series"])
	}
	if v := seriesValues(t, opt, "Italy — Renewable share of gross final energy consumption (national)")["2019"]; v != 18.181 {
		t.Errorf("Italy 2019 = %v, want 18.181 (Eurostat nrg_ind_ren REN)", v)
	}
}
