package ingest_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/data"
	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// rawFile finds a publisher file: the copy in data/raw, else the shared
// data folder (TWINMETRICS_RAW_DATA, default ../../shared/data/raw) for
// files not kept in the repository (the WHO database may not be passed
// on; the full GHS-UCDB extract is large).
func rawFile(t *testing.T, rel string) string {
	t.Helper()
	shared := os.Getenv("TWINMETRICS_RAW_DATA")
	if shared == "" {
		shared = filepath.Join("..", "..", "shared", "data", "raw")
	}
	for _, p := range []string{filepath.Join("..", "data", "raw", rel), filepath.Join(shared, rel)} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skipf("%s is not here", rel)
	return ""
}

// importRaw checks a raw file as uploaded, reading it with the profile
// its header matches (or the one named).
func importRaw(t *testing.T, app *testapp.App, rel, profile string) (*ingest.Pending, time.Duration) {
	t.Helper()
	b, err := os.ReadFile(rawFile(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u := staffUser(t, app)
	start := time.Now()
	p, err := app.Uploads.Receive(ctx, strings.NewReader(string(b)), filepath.Base(rel), u)
	if err != nil {
		t.Fatal(err)
	}
	if profile != "" {
		if err := app.Uploads.UseProfile(ctx, p.Key, profile); err != nil {
			t.Fatal(err)
		}
	}
	if p, err = app.Uploads.Check(ctx, p.Key); err != nil {
		t.Fatal(err)
	}
	return p, time.Since(start)
}

func staffUser(t testing.TB, app *testapp.App) metrics.User {
	t.Helper()
	ctx := context.Background()
	u, err := app.Store.UserByEmail(ctx, "staff@example.org")
	if err != nil {
		if u, err = app.Store.AddUser(ctx, "staff@example.org", metrics.RoleEditor, "a long enough password", testapp.Fixed); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// previewRows pages through every row of a preview.
func previewRows(t *testing.T, app *testapp.App, key, status string) []ingest.PreviewRow {
	t.Helper()
	var out []ingest.PreviewRow
	for off := 0; ; off += 5000 {
		rows, _, err := app.Uploads.Rows(context.Background(), key, status, false, off, 5000)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rows...)
		if len(rows) < 5000 {
			return out
		}
	}
}

type seedObs struct {
	Area, Indicator, Source string
	Year                    int
	Value                   sql.NullFloat64
	Flags, Unit, Locator    string
}

// seedFrom lists the seed's observations that were read from a file.
func seedFrom(t *testing.T, app *testapp.App, via string) []seedObs {
	t.Helper()
	var out []seedObs
	err := app.DB.R.Select(&out, `SELECT a.slug AS area, i.code AS indicator, s.code AS source, o.year AS year, o.value AS value,
		o.flags AS flags, o.unit_as_given AS unit, o.locator AS locator
		FROM observations o JOIN areas a ON a.id = o.area_id JOIN indicators i ON i.id = o.indicator_id JOIN sources s ON s.id = o.source_id
		JOIN uploads u ON u.id = o.upload_id
		WHERE u.kind = 'seed' AND o.retired_by IS NULL AND o.retrieved_via LIKE ?`, "%"+via+"%")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// want is one value a profile must read from a raw file, as published.
type want struct {
	area, indicator string
	year            int
	value           float64
	flags           string
}

// rawFiles are the publisher files in data/raw (or the shared data
// folder), each with the profile that must recognise it, the sheet it
// reads, the seed values it came from (found via) and values checked by
// hand against the file.
var rawFiles = []struct {
	file, profile, sheet, via string
	want                      []want
}{
	{file: "who/who_aap_2022_v9_city.csv", profile: "who-aaq-2022-csv", via: "who_aap_2021_v9",
		want: []want{{"hanoi", "pm25_annual_mean", 2015, 81.76, "low_coverage"}, {"hanoi", "pm25_annual_mean", 2019, 52.09, ""}}},
	{file: "who/who_aap_2022_v9.xlsx", profile: "who-aaq-2022-xlsx", sheet: "AAP_2022_city_v9", via: "who_aap_2021_v9",
		want: []want{{"hanoi", "pm25_annual_mean", 2015, 81.76, "low_coverage"}}},
	{file: "un_wup2018/WUP2018-F12-Cities_Over_300K.data.csv", profile: "un-wup-2018-f12", via: "WUP2018-F12",
		want: []want{{"hanoi-agglomeration", "population", 2035, 7043981, "projection"}}},
	{file: "eurostat/urb_ctran.xlsx", profile: "eurostat-table-xlsx", sheet: "Sheet 1, Sheet 2, Sheet 3, Sheet 4, Sheet 5, Sheet 6, Sheet 7, Sheet 8, Sheet 9, Sheet 10, Sheet 11, Sheet 12, Sheet 13, Sheet 14, Sheet 15, Sheet 16, Sheet 17", via: "urb_ctran.xlsx"},
	{file: "eurostat/estat_urb_ctran_filtered_en.csv", profile: "eurostat-sdmx-csv",
		want: []want{{"tampere", "commute_share_public_transport", 2017, 62, ""}}},
	{file: "eurostat_energy/nrg_ind_ren.csv", profile: "eurostat-sdmx-csv",
		want: []want{{"italy", "renewable_electricity_share_national", 2020, 38.081, ""},
			// The national context line of the energy theme: the
			// renewable share of gross final energy (REN).
			{"italy", "renewable_final_energy_share_national", 2019, 18.181, ""}}},
	{file: "eurostat_energy/estat_nrg_ind_eff_filtered_en.csv", profile: "eurostat-sdmx-csv",
		want: []want{{"italy", "final_energy_consumption_total", 2020, 102.08 * 41.868e6 / 3.6, "converted"}}},
	{file: "cdp/2016_-_Citywide_GHG_Emissions.csv", profile: "cdp-citywide-2016", via: "CDP_citywide_emissions_2016/"},
	{file: "cdp/2017_-_Cities_Community_Wide_Emissions.csv", profile: "cdp-citywide-2017", via: "CDP_citywide_emissions_2017/"},
	{file: "cdp/2018_City-wide_Emissions.csv", profile: "cdp-citywide-2018", via: "CDP_citywide_emissions_2018/"},
	{file: "cdp/2019_City-wide_Emissions.csv", profile: "cdp-citywide-2018", via: "CDP_citywide_emissions_2019/"},
	{file: "cdp/2020_-_City-Wide_Emissions.csv", profile: "cdp-citywide-2020", via: "CDP_citywide_emissions_2020/"},
	{file: "cdp/2021_City-wide_Emissions.csv", profile: "cdp-citywide-2021", via: "CDP_citywide_emissions_2021/",
		want: []want{{"milan-metropolitan-city", "population", 2019, 3265327, "self_reported"}}},
	{file: "carbon_monitor_cities/carbon-monitor-cities-all-cities-FUA-v0325_processed.csv", profile: "carbon-monitor-cities",
		// Carbon Monitor's "Seoul" is the whole capital area, which
		// contains Suwon: it is its own larger area, never Seoul's or
		// Suwon's value.
		want: []want{{"hanoi-agglomeration", "co2_transport", 2019, 2186328.323, "modelled"},
			{"seoul-fua-carbon-monitor", "co2_transport", 2019, 15119588.12, "modelled"}}},
	{file: "ghs_ucdb_subset/indicators_catalogue_countries.csv", profile: "ghs-ucdb-2019-extract",
		want: []want{{"milan-monza-ghs", "co2_transport", 2015, 2428396.17188322, "modelled"}}},
	{file: "ghs_ucdb_subset/indicators.csv", profile: "ghs-ucdb-2019-extract",
		want: []want{{"milan-monza-ghs", "co2_transport", 2015, 2428396.17188322, "modelled"}}},
	{file: "c40/C40_GPC_Database.xlsx", profile: "c40-gpc-dashboard", sheet: "GHG Dashboard Data - Inventory",
		want: []want{{"hanoi", "ghg_gpc_basic", 2015, 17936601.94693321, "self_reported"}}},
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

// TestShippedProfilesReadRawFiles: every publisher file, uploaded as
// downloaded, is recognised by its profile (the workbook's sheet named),
// read without a file error, and gives the values it prints; every seed
// value that came from a raw file is read again from it with the same
// area, indicator, year, value (in the indicator's unit), source and
// flags.
func TestShippedProfilesReadRawFiles(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	cat, err := app.Store.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seeds, err := ingest.RawSeeds(data.Files)
	if err != nil {
		t.Fatal(err)
	}
	seeded := map[string]bool{}
	for _, s := range seeds {
		seeded[s.File] = true
	}
	shipped, err := ingest.ShippedProfiles()
	if err != nil {
		t.Fatal(err)
	}
	seedTotal, reproduced := 0, 0
	for _, c := range rawFiles {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			if seeded[c.file] {
				// The seed imports this file through its profile and
				// TestSeedFromRawFiles checks what it reads; here only
				// that the file as published is recognised.
				format := "csv"
				if strings.HasSuffix(c.file, ".xlsx") {
					format = "xlsx"
				}
				pr, err := ingest.DetectProfile(rawFile(t, c.file), format, shipped, ingest.DefaultLimits)
				if err != nil || pr == nil || pr.Name != c.profile {
					t.Errorf("detected %v (%v), want %s", pr, err, c.profile)
				}
				return
			}
			p, took := importRaw(t, app, c.file, "")
			if p.FileError != nil {
				t.Fatalf("file error: %s", p.FileError.Message)
			}
			if p.ReadAs == nil || p.ReadAs.Profile != c.profile || !p.ReadAs.Detected || p.ReadAs.Sheet != c.sheet {
				t.Fatalf("read as %+v, want profile %s detected, sheet %q", p.ReadAs, c.profile, c.sheet)
			}
			got := map[string][]ingest.PreviewRow{}
			for _, r := range previewRows(t, app, p.Key, "") {
				if r.Status == ingest.RowRejected {
					continue
				}
				k := fmt.Sprintf("%s|%s|%d", cat.AreaByID(r.AreaID.Int64).Slug, r.IndicatorCode, r.YearInt)
				got[k] = append(got[k], r)
				got[k+"|"+r.SourceCode] = append(got[k+"|"+r.SourceCode], r)
			}
			for _, w := range c.want {
				k := fmt.Sprintf("%s|%s|%d", w.area, w.indicator, w.year)
				ok := false
				for _, r := range got[k] {
					if r.NewValue != nil && near(*r.NewValue, w.value) && strings.Contains(" "+r.Flags+" ", " "+w.flags) {
						ok = true
					}
				}
				if !ok {
					t.Errorf("%s = %v (flags %q) not read; got %v", k, w.value, w.flags, rowsText(got[k]))
				}
			}
			missing, noValue, seed := 0, 0, 0
			if c.via != "" {
				ws := seedFrom(t, app, c.via)
				if len(ws) == 0 {
					t.Fatal("no seed rows from this file")
				}
				for _, w := range ws {
					if !w.Value.Valid {
						// text in a numeric cell ("Not Applicable"): not a value
						noValue++
						continue
					}
					seed++
					k := fmt.Sprintf("%s|%s|%d|%s", w.Area, w.Indicator, w.Year, w.Source)
					ok := false
					for _, r := range got[k] {
						if r.NewValue != nil && near(*r.NewValue, w.Value.Float64) && r.Flags == w.Flags {
							ok = true
						}
					}
					if !ok {
						missing++
						if missing <= 10 {
							t.Errorf("seed %s = %v flags %q (%s) not reproduced; the profile gave %v", k, w.Value.Float64, w.Flags, w.Locator, rowsText(got[k]))
						}
					}
				}
				seedTotal += seed
				reproduced += seed - missing
			}
			n := p.Counts
			t.Logf("%s: %d lines read, %d values matched (%d new, %d changed, %d unchanged), %d skipped, %d rejected, %d empty or notation cells; seed values %d (+%d without a value), %d not reproduced; %v",
				c.file, n.Lines, n.New+n.Changed+n.Unchanged, n.New, n.Changed, n.Unchanged, n.Skipped, n.Rejected, p.Skips.NoValue, seed, noValue, missing, took.Round(time.Millisecond))
		})
	}
	t.Logf("seed values from raw files reproduced: %d of %d", reproduced, seedTotal)
}

func rowsText(rs []ingest.PreviewRow) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%v %s flags %q (line %d)", *r.NewValue, r.SourceCode, r.Flags, r.Line))
	}
	return out
}
