package ingest_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// rawFile finds a publisher file: the copy in data/raw, else the shared
// data folder (for files too large to keep in the repository).
func rawFile(t *testing.T, rel string) string {
	t.Helper()
	for _, p := range []string{filepath.Join("..", "data", "raw", rel), filepath.Join("/work/shared/data/raw", rel)} {
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

func staffUser(t *testing.T, app *testapp.App) metrics.User {
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

// TestProfilesReproduceTheSeed: every seed value that came from a raw
// publisher file is read again from that file, as published, by its
// shipped profile, with the same area, indicator, year, value, source
// and flags.
func TestProfilesReproduceTheSeed(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	cat, err := app.Store.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		file, via, profile string
	}{
		{"who/who_aap_2022_v9_city.csv", "who_aap_2021_v9", "who-aaq-2022-csv"},
		{"un_wup2018/WUP2018-F12-Cities_Over_300K.data.csv", "WUP2018-F12", "un-wup-2018-f12"},
		{"eurostat/urb_ctran.xlsx", "urb_ctran.xlsx", "eurostat-table-xlsx"},
		{"cdp/2016_-_Citywide_GHG_Emissions.csv", "CDP_citywide_emissions_2016/", "cdp-citywide-2016"},
		{"cdp/2017_-_Cities_Community_Wide_Emissions.csv", "CDP_citywide_emissions_2017/", "cdp-citywide-2017"},
		{"cdp/2018_City-wide_Emissions.csv", "CDP_citywide_emissions_2018/", "cdp-citywide-2018"},
		{"cdp/2019_City-wide_Emissions.csv", "CDP_citywide_emissions_2019/", "cdp-citywide-2018"},
		{"cdp/2020_-_City-Wide_Emissions.csv", "CDP_citywide_emissions_2020/", "cdp-citywide-2020"},
		{"cdp/2021_City-wide_Emissions.csv", "CDP_citywide_emissions_2021/", "cdp-citywide-2021"},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			p, took := importRaw(t, app, c.file, "")
			if p.FileError != nil {
				t.Fatalf("file error: %s", p.FileError.Message)
			}
			if p.ReadAs == nil || p.ReadAs.Profile != c.profile || !p.ReadAs.Detected {
				t.Fatalf("read as %+v, want profile %s detected", p.ReadAs, c.profile)
			}
			got := map[string][]ingest.PreviewRow{}
			for _, r := range previewRows(t, app, p.Key, "") {
				if r.Status == ingest.RowRejected {
					continue
				}
				k := fmt.Sprintf("%s|%s|%d|%s", cat.AreaByID(r.AreaID.Int64).Slug, r.IndicatorCode, r.YearInt, r.SourceCode)
				got[k] = append(got[k], r)
			}
			want := seedFrom(t, app, c.via)
			if len(want) == 0 {
				t.Fatal("no seed rows from this file")
			}
			missing, noValue := 0, 0
			for _, w := range want {
				if !w.Value.Valid {
					// text in a numeric cell ("Not Applicable"): not a value
					noValue++
					continue
				}
				k := fmt.Sprintf("%s|%s|%d|%s", w.Area, w.Indicator, w.Year, w.Source)
				ok := false
				var seen []string
				for _, r := range got[k] {
					if r.NewValue != nil && math.Abs(*r.NewValue-w.Value.Float64) <= 1e-9*math.Abs(w.Value.Float64) && r.Flags == w.Flags {
						ok = true
					}
					seen = append(seen, fmt.Sprintf("%v flags %q (line %d)", *r.NewValue, r.Flags, r.Line))
				}
				if !ok {
					missing++
					if missing <= 15 {
						t.Errorf("seed %s = %v flags %q (%s) not reproduced; profile gave %v", k, w.Value.Float64, w.Flags, w.Locator, seen)
					}
				}
			}
			c2 := p.Counts
			t.Logf("%s: lines read %d, values matched %d (new %d, changed %d, unchanged %d), skipped %d, rejected %d; %d seed values (%d without a value), %d not reproduced; %v",
				c.file, c2.Lines, c2.New+c2.Changed+c2.Unchanged, c2.New, c2.Changed, c2.Unchanged, c2.Skipped, c2.Rejected, len(want), noValue, missing, took.Round(time.Millisecond))
			if missing > 0 {
				t.Errorf("%d of %d seed values not reproduced", missing, len(want))
			}
			var keys []string
			for k := range got {
				keys = append(keys, k)
			}
			sort.Strings(keys)
		})
	}
}
