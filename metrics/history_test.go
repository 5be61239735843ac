package metrics_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/internal/testdb"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// everyAreasObservations reads the catalogue and the observations of
// every area it holds.
func everyAreasObservations(t *testing.T, ctx context.Context, s *metrics.Store) (*metrics.Catalogue, []metrics.Observation) {
	t.Helper()
	cat, err := s.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, a := range cat.Areas {
		ids = append(ids, a.ID)
	}
	obs, err := s.ObservationsForAreas(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	return cat, obs
}

// shownState is what the pages show of every area: each value (derived
// ones by their components) and, per area, indicator and year, the one
// the headline rule shows.
func shownState(t *testing.T, ctx context.Context, s *metrics.Store) []string {
	t.Helper()
	cat, obs := everyAreasObservations(t, ctx, s)
	var out []string
	for _, o := range obs {
		out = append(out, fmt.Sprintf("value #%d area %d ind %d year %v: %v %q %q num %v den %v",
			o.ID, o.AreaID, o.IndicatorID, o.Year.Int64, o.Value.Float64, o.Flags, o.Note, o.NumeratorID.Int64, o.DenominatorID.Int64))
	}
	d := metrics.NewDataset(obs)
	for _, a := range cat.Areas {
		for _, ind := range cat.Indicators {
			for _, p := range d.Series(a.ID, ind.ID) {
				out = append(out, fmt.Sprintf("shown area %d ind %d year %d: #%d of %d", a.ID, ind.ID, p.Year, p.Obs.ID, p.Count))
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestPinnedVersionsShowTheirValues: through publications (that replace
// values and change per capita values), rollbacks and a source edit that
// moves the headline choice, reading at each earlier version gives
// exactly what the pages showed when it was current: the same values,
// derived ones included, and the same value shown in each cell.
func TestPinnedVersionsShowTheirValues(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	states := map[int64][]string{}
	note := func(what string) {
		v, err := app.Store.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := states[v]; ok {
			t.Fatalf("%s: the data version did not move (%d)", what, v)
		}
		states[v] = shownState(t, ctx, app.Store)
	}
	note("seed")

	const head = "city,indicator,year,value,unit,source,flags,note,source_title,source_publisher,source_url,source_vintage\n"
	first := publishCSV(t, app, "components.csv", head+
		"Milan,population,2012,1300000,persons,pinned_test_source,estimated,test value,Pinned test dataset,Test publisher,https://example.org/data,2030\n"+
		"Milan,ghg_total_reported,2015,5000000,tCO2e,pinned_test_source,,test value,,,,\n"+
		"Hanoi,pm25_annual_mean,2019,50,ug/m3,pinned_test_source,,test value,,,,\n")
	note("first publication")
	second := publishCSV(t, app, "more.csv", head+
		"Milan,population,2015,1400000,persons,pinned_test_source,,test value,,,,\n"+
		"Hanoi,pm25_annual_mean,2019,45,ug/m3,pinned_test_source,,replaces 50,,,,\n")
	note("second publication")
	u, _ := app.Store.UserByEmail(ctx, "staff@example.org")
	if err := app.Uploads.Rollback(ctx, second, u); err != nil {
		t.Fatal(err)
	}
	note("rollback of the second")
	cat, _ := app.Store.Catalogue(ctx)
	src, err := cat.SourceByCode("who_aaq_2022_v2018")
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Store.SaveSource(ctx, metrics.SourceInput{Code: src.Code, Title: src.Title, Vintage: src.Vintage, Preferred: true}, "admin@example.org"); err != nil {
		t.Fatal(err)
	}
	note("a source preferred")
	if err := app.Uploads.Rollback(ctx, first, u); err != nil {
		t.Fatal(err)
	}
	note("rollback of the first")

	var versions []int64
	for v := range states {
		versions = append(versions, v)
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i] < versions[j] })
	for i, v := range versions {
		got := shownState(t, metrics.AsOf(ctx, v), app.Store)
		if !reflect.DeepEqual(got, states[v]) {
			t.Errorf("at version %d: pinned read differs from what was shown then:\n%s", v, diffAs(got, states[v], "only pinned: ", "only then:   "))
		}
		if i > 0 && reflect.DeepEqual(states[v], states[versions[i-1]]) {
			t.Errorf("version %d shows the same as version %d: the step changed nothing", v, versions[i-1])
		}
	}

	// Versions not kept: before the first, after the current.
	last := versions[len(versions)-1]
	for _, v := range []int64{0, last + 1} {
		if _, _, err := app.Store.Pin(ctx, v); !errors.Is(err, metrics.ErrNotKept) {
			t.Errorf("version %d: Pin says %v, want ErrNotKept", v, err)
		}
	}
	if _, cur, err := app.Store.Pin(ctx, versions[0]); err != nil || cur != last {
		t.Errorf("version %d: Pin says %v (current %d), want kept at current %d", versions[0], err, cur, last)
	}

	// What changed after the second publication: its rollback (Hanoi,
	// Milan), the source edit (everything), the first's rollback.
	vcs, err := app.Store.VersionsSince(ctx, versions[2], nil)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, vc := range vcs {
		kinds = append(kinds, fmt.Sprintf("%d %s #%d %s all=%v", vc.Version, vc.Kind, vc.UploadID, vc.FileName, vc.Everything))
	}
	want := []string{
		fmt.Sprintf("%d rolled_back #%d more.csv all=false", versions[3], second),
		fmt.Sprintf("%d catalogue #0  all=true", versions[4]),
		fmt.Sprintf("%d rolled_back #%d components.csv all=false", versions[5], first),
	}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("versions since %d:\n  %s\nwant\n  %s", versions[2], strings.Join(kinds, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestPinnedReadPlans: a pinned read of some areas or indicators reads
// both the current rows and the kept states through an index.
func TestPinnedReadPlans(t *testing.T) {
	if testdb.PG() {
		t.Skip("reads SQLite's EXPLAIN QUERY PLAN")
	}
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	if _, err := app.DB.W.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name             string
		areas, inds      bool
		current, history string
	}{
		{"areas", true, false, "observations_area", "observation_history_area"},
		{"indicators", false, true, "observations_indicator", "observation_history_indicator"},
		{"areas and indicators", true, true, "observations_area", "observation_history_area"},
	} {
		q := metrics.PinnedObservationsSQL(app.DB.Dialect, c.areas, c.inds)
		plan := queryPlan(t, app.DB, c.name, q, sql.Named("v", 1), sql.Named("areas", "[1,2]"), sql.Named("indicators", "[1]"))
		all := strings.Join(plan, "\n  ")
		for _, idx := range []string{c.current, c.history} {
			if !strings.Contains(all, idx) {
				t.Errorf("%s: the plan does not use %s:\n  %s", c.name, idx, all)
			}
		}
		for _, l := range plan {
			if strings.HasPrefix(l, "SCAN o") && !strings.Contains(l, "INDEX") {
				t.Errorf("%s: the plan walks a table:\n  %s", c.name, all)
			}
		}
	}
}

// queryPlan is SQLite's plan of q on the readers, one line a step.
func queryPlan(t *testing.T, db *metrics.DB, name, q string, args ...any) []string {
	t.Helper()
	rows, err := db.R.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return plan
}

// TestIDListsPlannedAtTheirLength: on PostgreSQL the planner knows how
// many ids a list holds, so one city's observations are read through
// the area index. Read as JSON elements the list was planned as 100 ids
// whatever it held, and at 1.1M values a city page scanned the whole
// table.
func TestIDListsPlannedAtTheirLength(t *testing.T) {
	if !testdb.PG() {
		t.Skip("reads PostgreSQL's EXPLAIN")
	}
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	for _, c := range []struct {
		list string
		want float64
	}{{"[1]", 1}, {"[1,2,3]", 3}, {"[]", 0}} {
		var plan string
		if err := app.DB.R.GetContext(ctx, &plan, `EXPLAIN (FORMAT JSON) `+metrics.IDListSQL(app.DB.Dialect, "?"), c.list); err != nil {
			t.Fatal(err)
		}
		var p []struct {
			Plan struct {
				Rows float64 `json:"Plan Rows"`
			} `json:"Plan"`
		}
		if err := json.Unmarshal([]byte(plan), &p); err != nil || len(p) != 1 {
			t.Fatalf("plan %s: %v", plan, err)
		}
		// PostgreSQL estimates at least one row for any scan.
		if got := p[0].Plan.Rows; got != max(c.want, 1) {
			t.Errorf("the list %s is planned as %v ids, want %v", c.list, got, max(c.want, 1))
		}
		var ids []int64
		if err := app.DB.R.SelectContext(ctx, &ids, metrics.IDListSQL(app.DB.Dialect, "?"), c.list); err != nil {
			t.Fatal(err)
		}
		if float64(len(ids)) != c.want {
			t.Errorf("the list %s reads as %v", c.list, ids)
		}
	}
	// And one city's page reads its rows through the area index.
	if _, err := app.DB.W.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	var plan []string
	if err := app.DB.R.SelectContext(ctx, &plan, `EXPLAIN SELECT id FROM current_observations WHERE area_id IN (`+metrics.IDListSQL(app.DB.Dialect, "?")+`)`, "[1]"); err != nil {
		t.Fatal(err)
	}
	if all := strings.Join(plan, "\n"); !strings.Contains(all, "observations_area") {
		t.Errorf("one city's observations are not read through the area index:\n%s", all)
	}
}
