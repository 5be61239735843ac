package ingest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/data"
	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// seedFromRaw seeds a fresh database as `twinmetrics seed` does: the
// catalogue and curated values, then the raw files through profiles.
func seedFromRaw(tb testing.TB, app *testapp.App) []ingest.SeedFileResult {
	tb.Helper()
	ctx := context.Background()
	seeds, err := ingest.RawSeeds(data.Files)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := app.Store.SeedWith(ctx, data.Files, metrics.SeedOptions{FromRawFiles: ingest.Marks(seeds)}); err != nil {
		tb.Fatal(err)
	}
	res, err := app.Uploads.SeedFromRaw(ctx, data.Raw, seeds)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// currentValues lists the stored, current values that are not computed:
// area, indicator, year, source, value and flags.
func currentValues(t *testing.T, app *testapp.App) map[string]int {
	t.Helper()
	var rows []struct {
		Area, Indicator, Source, Flags string
		Year                           *int
		Value                          *float64
	}
	if err := app.DB.R.Select(&rows, `SELECT a.slug AS area, i.code AS indicator, s.code AS source, o.flags AS flags, o.year AS year, o.value AS value
		FROM observations o JOIN areas a ON a.id = o.area_id JOIN indicators i ON i.id = o.indicator_id JOIN sources s ON s.id = o.source_id
		WHERE o.retired_by IS NULL AND o.numerator_id IS NULL`); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		y, v := 0, "NULL"
		if r.Year != nil {
			y = *r.Year
		}
		if r.Value != nil {
			v = fmt.Sprintf("%.9g", *r.Value)
		}
		out[fmt.Sprintf("%s|%s|%d|%s|%s|%s", r.Area, r.Indicator, y, r.Source, v, r.Flags)]++
	}
	return out
}

// TestSeedFromRawFiles: the seed built from the raw publisher files
// through their profiles holds every value of the seed CSV (same area,
// indicator, year, source, value in the indicator's unit, flags), apart
// from text a publisher printed in a numeric cell; seeding again changes
// nothing.
func TestSeedFromRawFiles(t *testing.T) {
	full := testapp.New(t, testapp.Options{})
	app := testapp.New(t, testapp.Options{NoSeed: true})
	res := seedFromRaw(t, app)
	for _, r := range res {
		if r.Skipped || r.UploadID == 0 {
			t.Errorf("%s was not published: %+v", r.File, r)
		}
		n := r.Counts
		t.Logf("%s (read as %s%s): %d lines read, %d values matched, %d skipped, %d rejected, %d empty or notation cells; %v",
			r.File, r.ReadAs.Profile, map[bool]string{true: ", sheets " + r.ReadAs.Sheet, false: ""}[r.ReadAs.Sheet != ""], n.Lines, n.New+n.Changed+n.Unchanged, n.Skipped, n.Rejected, r.Skips.NoValue, r.Took.Round(time.Millisecond))
	}
	want, got := currentValues(t, full), currentValues(t, app)
	// Values checked by hand against the files as printed.
	for _, w := range []string{
		"hanoi|pm25_annual_mean|2015|who_aaq_2022_v2022|81.76|low_coverage",
		"hanoi|pm25_annual_mean|2019|who_aaq_2022_v2022|52.09|",
		"hanoi-agglomeration|population|2035|un_wup_2018_f12|7043981|projection",
		"milan-metropolitan-city|population|2019|cdp_citywide_2021|3265327|self_reported",
		"tampere|commute_share_public_transport|2017|eurostat_urb_ctran|62|",
		"seoul|pm10_annual_mean|2014|who_aaq_2022_v2022|46|",
	} {
		if got[w] == 0 {
			t.Errorf("the seed lacks %s", w)
		}
	}
	missing := 0
	for k, n := range want {
		if got[k] < n {
			if k[len(k)-len("|NULL|"):] == "|NULL|" || containsNull(k) {
				continue // "Not Applicable" as printed: not a value
			}
			missing++
			if missing < 10 {
				t.Errorf("seed value %s is not in the seed built from raw files", k)
			}
		}
	}
	extra := 0
	for k, n := range got {
		if want[k] < n {
			extra += n - want[k]
		}
	}
	t.Logf("%d values from the seed CSV, %d in the seed built from raw files (%d more: the rest of what the files hold for catalogue areas), %d missing", len(want), len(got), extra, missing)

	before := currentValues(t, app)
	for _, r := range seedFromRaw(t, app) {
		if !r.Skipped {
			t.Errorf("seeding again published %s: %+v", r.File, r)
		}
	}
	if after := currentValues(t, app); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Error("seeding again changed the stored values")
	}

	// A seed upload an admin rolled back stays rolled back.
	var wup int64
	for _, r := range res {
		if r.Profile == "un-wup-2018-f12" {
			wup = r.UploadID
		}
	}
	if err := app.Uploads.Rollback(context.Background(), wup, metrics.User{Email: "admin@example.org"}); err != nil {
		t.Fatal(err)
	}
	rolledBack := currentValues(t, app)
	for _, r := range seedFromRaw(t, app) {
		if !r.Skipped {
			t.Errorf("seeding after a rollback published %s again", r.File)
		}
	}
	if after := currentValues(t, app); fmt.Sprint(after) != fmt.Sprint(rolledBack) || len(after) >= len(before) {
		t.Errorf("after the rollback and a new seed: %d values, %d before the rollback", len(after), len(before))
	}
}

func containsNull(k string) bool {
	for i := 0; i+6 <= len(k); i++ {
		if k[i:i+6] == "|NULL|" {
			return true
		}
	}
	return false
}

// BenchmarkSeed measures seeding a fresh database: from the seed CSV
// alone (the baseline) and as `twinmetrics seed` does it, with the raw
// publisher files read through their profiles. With TWINMETRICS_TEST_PG
// it runs on both engines, side by side.
func BenchmarkSeed(b *testing.B) {
	for _, engine := range testapp.Engines() {
		b.Run("csv/"+engine, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				app := testapp.New(b, testapp.Options{NoSeed: true, Engine: engine})
				b.StartTimer()
				if _, err := app.Store.Seed(context.Background(), data.Files); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("raw/"+engine, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				app := testapp.New(b, testapp.Options{NoSeed: true, Engine: engine})
				b.StartTimer()
				seedFromRaw(b, app)
			}
		})
	}
}
