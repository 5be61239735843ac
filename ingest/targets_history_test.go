package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/internal/testfiles"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// targetsShown is every target a read at ctx lists, as the pages and
// the API show it.
func targetsShown(t *testing.T, ctx context.Context, s *metrics.Store) []string {
	t.Helper()
	ts, err := s.Targets(ctx, metrics.TargetFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(ts))
	for i, tg := range ts {
		out[i] = fmt.Sprintf("#%d area %d source %d: %s (reported %d, %s) upload %d", tg.ID, tg.AreaID, tg.SourceID, tg.Summary(),
			tg.ReportYear, tg.Locator, tg.UploadID.Int64)
	}
	return out
}

// milan2017Moved is CDP's 2017 targets file with the target date of
// Milan's row moved from 2020 to 2025: a test value in a temporary
// database, not Milan's commitment.
func milan2017Moved(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(rawDir(t), targetFiles[2]))
	if err != nil {
		t.Fatal(err)
	}
	return testfiles.MilanTargetMoved(t, b)
}

// TestPinnedVersionsShowTheirTargets: through a targets publication that
// moves a commitment of Milan, a second that replaces every CDP 2021
// target, the rollback of each and a new seed that drops a target,
// reading the targets at each earlier version lists exactly those
// current then, with the same ids; the notice of what changed since
// names the areas a targets publication touched.
func TestPinnedVersionsShowTheirTargets(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	s := app.Store
	user, err := s.AddUser(ctx, "targets@example.org", metrics.RoleEditor, "a long enough password", testapp.Fixed)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := s.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	milan, err := cat.Area("milan")
	if err != nil {
		t.Fatal(err)
	}
	states := map[int64][]string{}
	var versions []int64
	note := func(what string) int64 {
		t.Helper()
		v, err := s.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := states[v]; ok {
			t.Fatalf("%s: the data version did not move (%d)", what, v)
		}
		states[v] = targetsShown(t, ctx, s)
		versions = append(versions, v)
		return v
	}
	milanAt := func(v int64) string {
		t.Helper()
		ts, err := s.TargetsFor(metrics.AsOf(ctx, v), milan.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tg := range ts {
			out = append(out, tg.Summary())
		}
		return strings.Join(out, "; ")
	}
	seeded := note("seed")

	moved, err := ingest.PublishTargets(ctx, s, user, "2017_targets_milan_moved.csv", milan2017Moved(t), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	published := note("publication of the moved 2017 targets")
	b, err := os.ReadFile(filepath.Join(rawDir(t), targetFiles[3]))
	if err != nil {
		t.Fatal(err)
	}
	second, err := ingest.PublishTargets(ctx, s, user, "2021_targets.csv", b, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	note("publication of CDP 2021")
	if err := app.Uploads.Rollback(ctx, second.UploadID, user); err != nil {
		t.Fatal(err)
	}
	note("rollback of CDP 2021")
	if err := app.Uploads.Rollback(ctx, moved.UploadID, user); err != nil {
		t.Fatal(err)
	}
	rolledBack := note("rollback of the moved 2017 targets")
	// A new seed without Milan's CDP 2017 target.
	m := testapp.SeedCopy(t)
	var kept []string
	dropped := 0
	for _, l := range strings.SplitAfter(string(m["targets.csv"].Data), "\n") {
		if strings.HasPrefix(l, "milan,cdp_targets_2017,") {
			dropped++
			continue
		}
		kept = append(kept, l)
	}
	if dropped != 1 {
		t.Fatalf("the seed's targets.csv has %d rows of Milan from CDP 2017, want 1", dropped)
	}
	m["targets.csv"].Data = []byte(strings.Join(kept, ""))
	if _, err := s.Seed(ctx, m); err != nil {
		t.Fatal(err)
	}
	note("a seed without a target")

	for i, v := range versions {
		got := targetsShown(t, metrics.AsOf(ctx, v), s)
		if !reflect.DeepEqual(got, states[v]) {
			t.Errorf("at version %d: the pinned read differs from what was shown then:\n%s", v, diffTargets(got, states[v]))
		}
		if i > 0 && reflect.DeepEqual(states[v], states[versions[i-1]]) {
			t.Errorf("version %d lists the same targets as version %d: the step changed nothing", v, versions[i-1])
		}
	}

	// What a reader of Milan's page sees at each version.
	for _, c := range []struct {
		v          int64
		has, hasnt string
	}{
		{seeded, "−20 % by 2020 against 2005", "by 2025"},
		{published, "−20 % by 2025 against 2005", ""},
		{rolledBack, "−20 % by 2020 against 2005", "by 2025"},
	} {
		got := milanAt(c.v)
		if !strings.Contains(got, c.has) || (c.hasnt != "" && strings.Contains(got, c.hasnt)) {
			t.Errorf("Milan's targets at version %d: %s\nwant %q and not %q", c.v, got, c.has, c.hasnt)
		}
	}
	if now := milanAt(versions[len(versions)-1]); strings.Contains(now, "by 2025") {
		t.Errorf("Milan's current targets: %s", now)
	}

	// The notice of a page pinned to the seed names Milan for the
	// publication of targets.
	vcs, err := s.VersionsSince(ctx, seeded, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(vcs) == 0 || vcs[0].Version != published || vcs[0].UploadID != moved.UploadID || !containsID(vcs[0].Areas, milan.ID) {
		t.Errorf("the first change after the seed: %+v, want upload #%d at version %d touching Milan (%d)", vcs, moved.UploadID, published, milan.ID)
	}
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// diffTargets lists the lines only one side has.
func diffTargets(got, want []string) string {
	in := func(xs []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	g, w := in(got), in(want)
	var out []string
	for _, x := range got {
		if !w[x] {
			out = append(out, "only pinned: "+x)
		}
	}
	for _, x := range want {
		if !g[x] {
			out = append(out, "only then:   "+x)
		}
	}
	sort.Strings(out)
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("… %d more", len(out)-20))
	}
	return strings.Join(out, "\n")
}
