package metrics_test

import (
	"context"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// TestHeadlineRuleGoAndSQLAgree checks the two forms of the headline rule
// (docs/RULES.md, rule 2) against each other on every seeded area,
// indicator and year: the value the pages draw (metrics.choose) is the
// one the downloads "as shown" list (the view shown_observations).
func TestHeadlineRuleGoAndSQLAgree(t *testing.T) {
	db, s := seeded(t)
	ctx := context.Background()
	cat, obs := everyAreasObservations(t, ctx, s)
	d := metrics.NewDataset(obs)
	type cell struct {
		area, ind int64
		year      int
	}
	var rows []struct {
		ID     int64 `db:"id"`
		Area   int64 `db:"area_id"`
		Ind    int64 `db:"indicator_id"`
		Year   int   `db:"year"`
		Others int   `db:"others"`
	}
	if err := db.R.SelectContext(ctx, &rows, `SELECT o.id AS id, o.area_id AS area_id, o.indicator_id AS indicator_id, o.year AS year,
		(SELECT COUNT(*) FROM observations x WHERE x.retired_by IS NULL AND x.value IS NOT NULL
		   AND x.area_id = o.area_id AND x.indicator_id = o.indicator_id AND x.year = o.year) - 1 AS others
		FROM shown_observations so JOIN observations o ON o.id = so.id
		WHERE o.year IS NOT NULL AND o.value IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	sqlPick := make(map[cell]int64, len(rows))
	several := 0
	for _, r := range rows {
		c := cell{r.Area, r.Ind, r.Year}
		if _, dup := sqlPick[c]; dup {
			t.Errorf("SQL shows two values for area %d, indicator %d, year %d", r.Area, r.Ind, r.Year)
		}
		sqlPick[c] = r.ID
		if r.Others > 0 {
			several++
		}
	}
	goCells := 0
	for _, a := range cat.Areas {
		for _, ind := range cat.Indicators {
			for _, p := range d.Series(a.ID, ind.ID) {
				goCells++
				c := cell{a.ID, ind.ID, p.Year}
				if got, ok := sqlPick[c]; !ok {
					t.Errorf("%s %s %d: Go shows observation %d, SQL shows none", a.Slug, ind.Code, p.Year, p.Obs.ID)
				} else if got != p.Obs.ID {
					t.Errorf("%s %s %d: Go shows observation %d (%v), SQL observation %d", a.Slug, ind.Code, p.Year, p.Obs.ID, p.Value, got)
				}
			}
		}
	}
	if goCells != len(sqlPick) {
		t.Errorf("Go shows %d cells, SQL %d", goCells, len(sqlPick))
	}
	// The check means something only where there was a choice to make.
	if several < 50 {
		t.Errorf("only %d seeded cells have several values; the seed has more (WHO vintages, OWID snapshots)", several)
	}
	t.Logf("%d cells, %d of them with several values", goCells, several)
}

// TestTotalsGetNoVerdict: on /pairs/adelaide-manchester the scorecard
// compared a city centre of 24,000 people with a region of 2.76 M on
// total emissions. No total may carry a verdict or a ratio, and a total
// with a rate beside it points to that rate.
func TestTotalsGetNoVerdict(t *testing.T) {
	_, s := seeded(t)
	ctx := context.Background()
	cat, _ := s.Catalogue(ctx)
	totals := 0
	for _, ind := range cat.Indicators {
		if ind.SizeDependent {
			totals++
		}
	}
	for _, code := range []string{"ghg_total_reported", "ghg_scope1", "ghg_scope2", "final_energy_consumption_total", "road_deaths", "private_cars_registered", "population"} {
		if ind, err := cat.Indicator(code); err != nil || !ind.SizeDependent {
			t.Errorf("%s must be size-dependent", code)
		}
	}
	for _, code := range []string{"ghg_per_capita", "pm25_annual_mean", "renewable_energy_share", "road_deaths_per_10000", "cars_per_1000"} {
		if ind, _ := cat.Indicator(code); ind == nil || ind.SizeDependent {
			t.Errorf("%s is a rate, not a total", code)
		}
	}
	cmp, err := s.ComparePair(ctx, cat, "adelaide-manchester")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, r := range cmp.Rows {
		if !r.Indicator.SizeDependent || r.Gap == nil {
			continue
		}
		checked++
		if r.Gap.Better != 0 || r.Gap.HasRatio || !r.Gap.Total {
			t.Errorf("adelaide-manchester %s: better %d, ratio %v: a total gets neither", r.Indicator.Code, r.Gap.Better, r.Gap.HasRatio)
		}
		if pc := cat.PerCapita(r.Indicator); pc != nil && r.Instead == nil {
			t.Errorf("%s: the scorecard has no row of %s to point to", r.Indicator.Code, pc.Code)
		}
	}
	if checked < 3 {
		t.Errorf("only %d totals compared on adelaide-manchester; the seed has total GHG, scope 1 and scope 2 for both", checked)
	}
	for _, n := range cmp.Overview() {
		if n.Indicator.SizeDependent {
			t.Errorf("the normalised overview includes the total %s", n.Indicator.Code)
		}
	}
	// The overview's featured comparison of every pair is a rate.
	var all []int64
	for _, ind := range metrics.HeadlineIndicators(cat) {
		all = append(all, ind.ID)
	}
	obs, _ := s.ObservationsForIndicators(ctx, all)
	d := metrics.NewDataset(obs)
	for _, p := range cat.Pairs {
		if row, ok := metrics.Featured(cat, d, p); ok && row.Indicator.SizeDependent {
			t.Errorf("%s features the total %s", p.Slug, row.Indicator.Code)
		}
	}
}

// TestUndatedValuesAreShownNotMissing: Hanoi's 1.8 m² and Milan's 18.2
// and 17.8 m² of green area per person have no year in their sources.
func TestUndatedValuesAreShownNotMissing(t *testing.T) {
	_, s := seeded(t)
	ctx := context.Background()
	cat, _ := s.Catalogue(ctx)
	cmp, err := s.ComparePair(ctx, cat, "hanoi-milan")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cmp.Missing["green_space"] {
		if m.Code == "green_area_per_capita" {
			t.Fatal("green area per inhabitant is listed as reported by neither side")
		}
	}
	var row *metrics.ScoreRow
	for i, r := range cmp.Rows {
		if r.Indicator.Code == "green_area_per_capita" {
			row = &cmp.Rows[i]
		}
	}
	if row == nil {
		t.Fatal("no green area row on the Hanoi–Milan scorecard")
	}
	values := func(side int) []float64 {
		var out []float64
		for _, o := range row.Sides[side][0].Undated {
			out = append(out, o.Value.Float64)
		}
		return out
	}
	if got := values(0); len(got) != 1 || got[0] != 1.8 {
		t.Errorf("Hanoi undated green area = %v, want [1.8]", got)
	}
	if got := values(1); len(got) != 2 || got[0]+got[1] != 18.2+17.8 {
		t.Errorf("Milan undated green area = %v, want 18.2 and 17.8", got)
	}
	if row.Gap != nil {
		t.Error("values without a year must not be compared as if of one year")
	}
	for _, cv := range cmp.Coverage() {
		for _, th := range cv.EmptyThemes {
			if th == "green_space" {
				t.Errorf("%s is said to report nothing on green space", cv.City.Slug)
			}
		}
	}
	if !strings.Contains(row.Sides[0][0].Undated[0].Flags, "partial_area") {
		t.Errorf("Hanoi's value covers four inner districts: flags %q", row.Sides[0][0].Undated[0].Flags)
	}
}

// TestEverySeedFlagIsMapped: the remarks of the seed file that had no
// flag (conflicting_value, secondary_blog_source) now have one.
func TestEverySeedFlagIsMapped(t *testing.T) {
	db, _ := seeded(t)
	var n int
	for _, f := range []string{"conflicting_value", "secondary_source"} {
		if err := db.R.Get(&n, `SELECT COUNT(*) FROM observations WHERE retired_by IS NULL AND (' ' || flags || ' ') LIKE ?`, "% "+f+" %"); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("no seeded value carries the flag %s", f)
		}
	}
	// Every flag a value carries is in the vocabulary.
	var unknown []string
	if err := db.R.Select(&unknown, `SELECT DISTINCT o.flags FROM observations o WHERE o.flags <> ''`); err != nil {
		t.Fatal(err)
	}
	var codes []string
	if err := db.R.Select(&codes, `SELECT code FROM flags`); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, c := range codes {
		known[c] = true
	}
	for _, fs := range unknown {
		for _, f := range strings.Fields(fs) {
			if !known[f] {
				t.Errorf("flag %q is not in the vocabulary", f)
			}
		}
	}
}

// TestReferenceLinesCarryTheirSource: WHO 2021 guideline levels and
// interim targets for PM2.5 (5, 10, 15, 25, 35 µg/m³).
func TestReferenceLinesCarryTheirSource(t *testing.T) {
	_, s := seeded(t)
	cat, _ := s.Catalogue(context.Background())
	pm25, _ := cat.Indicator("pm25_annual_mean")
	got := map[float64]bool{}
	for _, l := range cat.ReferenceLines(pm25.ID) {
		if strings.HasPrefix(l.Code, "who_2021") {
			got[l.Value] = true
		}
		if l.Source == "" || l.SourceURL == "" {
			t.Errorf("reference line %s has no source", l.Code)
		}
	}
	for _, v := range []float64{5, 10, 15, 25, 35} {
		if !got[v] {
			t.Errorf("no WHO 2021 PM2.5 line at %v µg/m³", v)
		}
	}
}
