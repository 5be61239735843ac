package synth_test

import (
	"context"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/synth"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// TestCopyGivesNewCitiesTheLoadedValues: cities added by SQL hold the
// values of the loaded city they copy, derived values pointing at their
// own components, and series figures that count them.
func TestCopyGivesNewCitiesTheLoadedValues(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	if _, err := synth.Load(ctx, app.Store, app.Uploads, synth.Options{Cities: 3, Years: 4, LastYear: 2020, CitiesPerFile: 3, Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	n, err := synth.Copy(ctx, app.Store, synth.CopyOptions{Cities: 7})
	if err != nil {
		t.Fatal(err)
	}
	values := func(slug string) (all, derived, stats int) {
		t.Helper()
		if err := app.DB.R.QueryRow(`SELECT COUNT(*), COUNT(o.numerator_id) FROM observations o JOIN areas a ON a.id = o.area_id
			WHERE a.slug = ? AND o.retired_by IS NULL`, slug).Scan(&all, &derived); err != nil {
			t.Fatal(err)
		}
		if err := app.DB.R.QueryRow(`SELECT COALESCE(SUM(s.n_values), 0) FROM series_stats s JOIN areas a ON a.id = s.area_id
			WHERE a.slug = ?`, slug).Scan(&stats); err != nil {
			t.Fatal(err)
		}
		return all, derived, stats
	}
	total := 0
	for k := 4; k <= 7; k++ {
		all, derived, stats := values(synth.Slug(k))
		wAll, wDerived, _ := values(synth.Slug((k-1)%3 + 1))
		if all != wAll || derived != wDerived || stats != all || all == 0 || derived == 0 {
			t.Errorf("%s: %d values (%d derived, series count %d), want the %d (%d derived) of the city it copies",
				synth.Slug(k), all, derived, stats, wAll, wDerived)
		}
		total += all
	}
	if n != total {
		t.Errorf("Copy says %d values, the new cities hold %d", n, total)
	}
	var stray int
	if err := app.DB.R.QueryRow(`SELECT COUNT(*) FROM observations o
		JOIN observations c ON c.id IN (o.numerator_id, o.denominator_id)
		WHERE c.area_id <> o.area_id`).Scan(&stray); err != nil {
		t.Fatal(err)
	}
	if stray > 0 {
		t.Errorf("%d derived values point at another area's components", stray)
	}
	before, _, _ := values(synth.Slug(7))
	if n, err := synth.Copy(ctx, app.Store, synth.CopyOptions{Cities: 7}); err != nil || n != 0 {
		t.Fatalf("a second copy to the same size: %d values, %v", n, err)
	}
	if after, _, _ := values(synth.Slug(7)); after != before {
		t.Errorf("a second copy to the same size changed city 7: %d values, then %d", before, after)
	}
}
