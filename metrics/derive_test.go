package metrics_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/internal/testdb"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// keptState is everything kept at write time, named so that two
// databases built differently compare: each derived value by its
// components, the value each cell shows, and the series counts.
func keptState(t *testing.T, db *metrics.DB) (derived, shown, stats []string) {
	t.Helper()
	ctx := context.Background()
	q := func(dst *[]string, query string) {
		rows, err := db.W.QueryContext(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if f, ok := v.(float64); ok {
					// as the rebuild computes it, to the digits a page shows
					vals[i] = strconv.FormatFloat(f, 'g', 9, 64)
				}
			}
			*dst = append(*dst, fmt.Sprint(vals...))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		sort.Strings(*dst)
	}
	q(&derived, `SELECT o.area_id, o.indicator_id, o.year, o.value, o.flags, o.note, o.numerator_id, o.denominator_id,
		o.numerator_source_id, o.denominator_source_id
		FROM observations o WHERE o.numerator_id IS NOT NULL AND o.retired_by IS NULL`)
	q(&shown, `SELECT o.area_id, o.indicator_id, o.year,
		CASE WHEN o.numerator_id IS NULL THEN 'value ' || o.id ELSE 'derived ' || o.numerator_id || '/' || o.denominator_id END
		FROM observations o WHERE o.retired_by IS NULL AND o.hidden = 0`)
	q(&stats, `SELECT s.area_id, s.indicator_id, s.n_values, s.n_stored, s.n_shown, s.first_year, s.last_year,
		CASE WHEN l.numerator_id IS NULL THEN 'value ' || l.id ELSE 'derived ' || l.numerator_id || '/' || l.denominator_id END,
		s.latest_value
		FROM series_stats s LEFT JOIN observations l ON l.id = s.latest_id`)
	return derived, shown, stats
}

// requireSameAsRebuild compares what publications and rollbacks kept
// up to date, cell by cell, with a recomputation from scratch.
func requireSameAsRebuild(t *testing.T, app *testapp.App, when string) {
	t.Helper()
	ctx := context.Background()
	d1, s1, st1 := keptState(t, app.DB)
	tx, err := app.DB.W.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := metrics.DeriveAll(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	d2, s2, st2 := keptState(t, app.DB)
	for _, c := range []struct {
		what     string
		inc, all []string
	}{{"derived values", d1, d2}, {"shown values", s1, s2}, {"series counts", st1, st2}} {
		if !reflect.DeepEqual(c.inc, c.all) {
			t.Errorf("%s: %s kept incrementally (%d) differ from a full recomputation (%d):\n%s", when, c.what, len(c.inc), len(c.all), diff(c.inc, c.all))
		}
	}
}

func diff(a, b []string) string { return diffAs(a, b, "only incremental: ", "only full:        ") }

// diffAs lists the lines only in a, then only in b, after their labels.
func diffAs(a, b []string, onlyA, onlyB string) string {
	in := func(xs []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, x := range a {
		if !mb[x] {
			out = append(out, "  "+onlyA+x)
		}
	}
	for _, x := range b {
		if !ma[x] {
			out = append(out, "  "+onlyB+x)
		}
	}
	if len(out) > 20 {
		out = append(out[:20], "  …")
	}
	return strings.Join(out, "\n")
}

func publishCSV(t *testing.T, app *testapp.App, name, body string) int64 {
	t.Helper()
	ctx := context.Background()
	u, err := app.Store.UserByEmail(ctx, "staff@example.org")
	if err != nil {
		if u, err = app.Store.AddUser(ctx, "staff@example.org", metrics.RoleEditor, "a long enough password", testapp.Fixed); err != nil {
			t.Fatal(err)
		}
	}
	p, err := app.Uploads.Receive(ctx, bytes.NewReader([]byte(body)), name, u)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = app.Uploads.Check(ctx, p.Key); err != nil {
		t.Fatal(err)
	}
	if p.FileError != nil || p.Counts.Rejected != 0 {
		t.Fatalf("%s: %+v %+v", name, p.FileError, p.Counts)
	}
	id, err := app.Uploads.Publish(ctx, p.Key, u, ingest.PublishOptions{ConfirmWarnings: true})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return id
}

// TestIncrementalMatchesRebuild: after a publication that changes
// components of per capita values (a population within two years of an
// inventory, an inventory, a second value for a cell under a newer
// vintage), after its rollback, and after a source edit that changes
// which value a cell shows, the derived values, the headline choice and
// the series counts are exactly what a recomputation from scratch gives.
func TestIncrementalMatchesRebuild(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	requireSameAsRebuild(t, app, "after the seed")

	const head = "city,indicator,year,value,unit,source,flags,note,source_title,source_publisher,source_url,source_vintage\n"
	first := publishCSV(t, app, "components.csv", head+
		// Milan: an inventory of 2013 and a population of 2014 exist; a
		// population of 2012 is as near, and earlier, so it wins.
		"Milan,population,2012,1300000,persons,incremental_test_source,estimated,test value,Incremental test dataset,Test publisher,https://example.org/data,2030\n"+
		"Milan,ghg_total_reported,2015,5000000,tCO2e,incremental_test_source,,test value,,,,\n"+
		"Hanoi,pm25_annual_mean,2019,50,ug/m3,incremental_test_source,,test value,,,,\n"+
		"Hanoi,pm25_annual_mean,2018,51,ug/m3,incremental_test_source,,test value,,,,\n")
	requireSameAsRebuild(t, app, "after a publication")

	second := publishCSV(t, app, "more.csv", head+
		"Milan,population,2015,1400000,persons,incremental_test_source,,test value,,,,\n")
	requireSameAsRebuild(t, app, "after a second publication")

	ctx := context.Background()
	u, _ := app.Store.UserByEmail(ctx, "staff@example.org")
	if err := app.Uploads.Rollback(ctx, second, u); err != nil {
		t.Fatal(err)
	}
	requireSameAsRebuild(t, app, "after a rollback")
	if err := app.Uploads.Rollback(ctx, first, u); err != nil {
		t.Fatal(err)
	}
	requireSameAsRebuild(t, app, "after both rollbacks")

	// WHO 2018 preferred over WHO 2022: the cells with both change their
	// headline value.
	cat, _ := app.Store.Catalogue(ctx)
	var who *metrics.Source
	for _, s := range cat.Sources {
		if s.Code == "who_aaq_2022_v2018" {
			who = s
		}
	}
	if who == nil {
		t.Fatal("no who_aaq_2022_v2018 in the seed")
	}
	_, before, _ := keptState(t, app.DB)
	if err := app.Store.SaveSource(ctx, metrics.SourceInput{Code: who.Code, Title: who.Title, Vintage: who.Vintage, Preferred: true}, "admin@example.org"); err != nil {
		t.Fatal(err)
	}
	_, after, _ := keptState(t, app.DB)
	if reflect.DeepEqual(before, after) {
		t.Error("preferring a source changed no headline value")
	}
	requireSameAsRebuild(t, app, "after a source edit")
}

// TestShownIsTheHeadlineRule: the headline choice kept in the database
// is, for every seeded cell, the value the Go rule the pages use picks,
// and exactly one value per dated cell is shown.
func TestShownIsTheHeadlineRule(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	cat, err := app.Store.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, a := range cat.Areas {
		ids = append(ids, a.ID)
	}
	obs, err := app.Store.ObservationsForAreas(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	shown := map[int64]bool{}
	var shownIDs []int64
	if err := app.DB.R.SelectContext(ctx, &shownIDs, `SELECT o.id FROM observations o WHERE o.retired_by IS NULL AND o.hidden = 0`); err != nil {
		t.Fatal(err)
	}
	for _, id := range shownIDs {
		shown[id] = true
	}
	data := metrics.NewDataset(obs)
	cells, multi, want := 0, 0, map[int64]bool{}
	for _, a := range cat.Areas {
		for _, ind := range cat.Indicators {
			for _, p := range data.Series(a.ID, ind.ID) {
				cells++
				if p.Count > 1 {
					multi++
				}
				want[p.Obs.ID] = true
				if !shown[p.Obs.ID] {
					t.Errorf("%s %s %d: the rule shows #%d (%s), the database does not", a.Slug, ind.Code, p.Year, p.Obs.ID, p.Rule)
				}
			}
			for _, o := range data.Undated(a.ID, ind.ID) {
				want[o.ID] = true
				if !shown[o.ID] {
					t.Errorf("%s %s: #%d without a year or number is not shown", a.Slug, ind.Code, o.ID)
				}
			}
		}
	}
	for id := range shown {
		if !want[id] {
			t.Errorf("#%d is shown in the database but not chosen by the rule", id)
		}
	}
	// The latest value kept per series is Dataset.Latest's.
	var latest []struct {
		Area      int64         `db:"area_id"`
		Indicator int64         `db:"indicator_id"`
		ID        sql.NullInt64 `db:"latest_id"`
	}
	if err := app.DB.R.SelectContext(ctx, &latest, `SELECT s.area_id, s.indicator_id, s.latest_id FROM series_stats s`); err != nil {
		t.Fatal(err)
	}
	projections := 0
	for _, l := range latest {
		p, ok := data.Latest(l.Area, l.Indicator)
		if ok != l.ID.Valid || (ok && p.Obs.ID != l.ID.Int64) {
			t.Errorf("area %d indicator %d: latest kept %v, the rule says %v (#%d)", l.Area, l.Indicator, l.ID, ok, p.Obs.ID)
		}
		if pts := data.Series(l.Area, l.Indicator); len(pts) > 0 && pts[len(pts)-1].Projection() {
			projections++
		}
	}
	if len(latest) < 300 || projections == 0 {
		t.Errorf("%d series, %d ending in a projection: the seed should exercise the rule", len(latest), projections)
	}
	if cells < 1000 || multi < 10 {
		t.Errorf("only %d cells, %d with several values: the seed should exercise the rule", cells, multi)
	}
}

// TestWritePathPlans: no statement a publication, rollback, seed or
// source edit runs per touched cell reads the observations table from
// end to end: SQLite's plan names an index for each.
func TestWritePathPlans(t *testing.T) {
	if testdb.PG() {
		t.Skip("reads SQLite's EXPLAIN QUERY PLAN")
	}
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	// Plans after ANALYZE, as a long-lived database has them.
	if _, err := app.DB.W.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"area": 1, "indicator": 1, "year": 2015, "from": 2013, "to": 2017, "value": 1.0, "flags": "", "note": "",
		"numerator": 1, "denominator": 2, "upload": 1, "source": 1, "numerator_source": 1, "denominator_source": 1, "version": 3}
	extra := map[string]string{
		// What keeps the values as they were for pinned pages (history.go).
		"keep own":      metrics.CloseSQL(`o.upload_id = :upload`, ":version"),
		"keep replaced": metrics.CloseSQL(`o.id IN (SELECT r.observation_id FROM upload_replacements r WHERE r.upload_id = :upload)`, ":version"),
		"stamp version": `UPDATE observations SET valid_from = :version WHERE valid_from IS NULL`,
		// What publication and rollback run once per upload.
		"retire replaced": `UPDATE observations SET retired_by = :upload WHERE id IN (SELECT r.observation_id FROM upload_replacements r WHERE r.upload_id = :upload)`,
		"restore":         `UPDATE observations SET retired_by = NULL WHERE retired_by = :upload AND (upload_id IS NULL OR upload_id <> :upload)`,
		"retire own":      `UPDATE observations SET retired_by = :upload WHERE upload_id = :upload AND retired_by IS NULL`,
		"later uploads": `SELECT l.id, COUNT(*) AS n FROM observations o JOIN uploads l ON l.id = o.retired_by
			WHERE o.upload_id = :upload AND o.retired_by <> :upload AND l.status = 'published' GROUP BY l.id`,
		"retire old seed": `UPDATE observations SET retired_by = :upload
			WHERE upload_id = :source AND retired_by IS NULL AND numerator_id IS NULL`,
		"delete a derived value": `DELETE FROM observations WHERE id = :numerator`,
		// The change log of an upload (RecordUploadChange).
		"changed areas": `SELECT DISTINCT area_id FROM observations WHERE upload_id = :upload OR retired_by = :upload`,
		"changed indicators": `WITH touched AS (SELECT DISTINCT indicator_id AS id FROM observations WHERE upload_id = :upload OR retired_by = :upload)
			SELECT i.id FROM indicators i JOIN touched t ON t.id IN (i.numerator_id, i.denominator_id)`,
	}
	stmts := map[string]string{}
	for k, v := range metrics.WritePathSQL {
		stmts[k] = v
	}
	for k, v := range extra {
		stmts[k] = v
	}
	tx, err := app.DB.W.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for name, query := range stmts {
		q, qargs, err := tx.BindNamed(query, args)
		if err != nil {
			t.Fatal(err)
		}
		var plan []struct {
			ID, Parent, NotUsed int
			Detail              string
		}
		rows, err := tx.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, qargs...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for rows.Next() {
			var p struct {
				ID, Parent, NotUsed int
				Detail              string
			}
			if err := rows.Scan(&p.ID, &p.Parent, &p.NotUsed, &p.Detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, p)
		}
		rows.Close()
		var lines []string
		for _, p := range plan {
			lines = append(lines, p.Detail)
		}
		for _, l := range lines {
			// "SCAN o" or "SCAN observations", without an index.
			if strings.HasPrefix(l, "SCAN ") && !strings.Contains(l, "INDEX") && !strings.Contains(l, "json_each") &&
				(strings.Contains(l, "observations") || strings.HasPrefix(l, "SCAN o") || strings.HasPrefix(l, "SCAN r") || strings.HasPrefix(l, "SCAN n")) {
				t.Errorf("%s scans a whole table:\n  %s", name, strings.Join(lines, "\n  "))
			}
		}
	}
}

// TestSelectionPlans: a download or an API page filtered by city or
// pair, indicator or source reads the observations through an index on
// that filter, not the whole table in id order.
func TestSelectionPlans(t *testing.T) {
	if testdb.PG() {
		t.Skip("reads SQLite's EXPLAIN QUERY PLAN")
	}
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	if _, err := app.DB.W.ExecContext(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		sel   metrics.Selection
		index string
	}{
		{"areas", metrics.Selection{Areas: []int64{1, 2}}, "observations_area"},
		{"indicator", metrics.Selection{Indicators: []int64{27}}, "observations_indicator"},
		{"source", metrics.Selection{Sources: []int64{1}}, "observations_source"},
		{"source, derived through a component", metrics.Selection{Sources: []int64{1}}, "observations_numerator_source"},
		{"area and source", metrics.Selection{Areas: []int64{1}, Sources: []int64{1}}, "observations_area"},
		{"shown of an area", metrics.Selection{Areas: []int64{1}, Shown: true}, "INDEX"},
	}
	for _, c := range cases {
		q, args := metrics.SelectionSQL(app.DB.Dialect, c.sel, true)
		args = append(args, sql.Named("after", 0), sql.Named("limit", 1000))
		plan := queryPlan(t, app.DB, c.name, q, args...)
		all := strings.Join(plan, "\n  ")
		if !strings.Contains(all, c.index) {
			t.Errorf("%s: the plan does not use %s:\n  %s", c.name, c.index, all)
		}
		for _, l := range plan {
			if (strings.HasPrefix(l, "SCAN o") && !strings.Contains(l, "INDEX")) || strings.Contains(l, "USING INTEGER PRIMARY KEY (rowid>?)") {
				t.Errorf("%s: the plan walks the table:\n  %s", c.name, all)
			}
		}
	}
}

// TestSelectionPlansOnPostgres: on PostgreSQL too, a download of one
// source pages through the source's own values in id order, the page's
// start a condition of the index, as SQLite's index (ending with the
// rowid) does. The seeded table is small, so the planner is kept from
// scanning it whole, as it would not at 1.1M values.
func TestSelectionPlansOnPostgres(t *testing.T) {
	if !testdb.PG() {
		t.Skip("reads PostgreSQL's EXPLAIN")
	}
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	tx, err := app.DB.R.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `SET LOCAL enable_bitmapscan = off`); err != nil {
		t.Fatal(err)
	}
	q, args := metrics.SelectionSQL(app.DB.Dialect, metrics.Selection{Sources: []int64{1}}, true)
	args = append(args, sql.Named("after", 0), sql.Named("limit", 1000))
	var plan []string
	if err := tx.SelectContext(ctx, &plan, `EXPLAIN `+q, args...); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(plan, "\n")
	for _, c := range []string{"source_id", "numerator_source_id", "denominator_source_id"} {
		cond := regexp.MustCompile(`Index Cond: \(.*\(` + c + ` = '?\d+'?(::bigint)?\) AND \(id > `)
		if !cond.MatchString(all) {
			t.Errorf("the values of a source through %s are not read from an index on (%s, id):\n%s", c, c, all)
		}
	}
}
