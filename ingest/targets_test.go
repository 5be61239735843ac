package ingest_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
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

var updateTargets = flag.Bool("update-targets", false, "write data/targets.csv from the publishers' files")

// rawDir is where the publishers' files are kept: data/raw, as
// published (TWINMETRICS_RAW overrides it).
func rawDir(t *testing.T) string {
	dir := os.Getenv("TWINMETRICS_RAW")
	if dir == "" {
		dir = filepath.Join("..", "data", "raw")
	}
	if _, err := os.Stat(filepath.Join(dir, "net_zero_tracker")); err != nil {
		t.Fatalf("publisher files not found in %s: %v", dir, err)
	}
	return dir
}

var targetFiles = []string{
	"net_zero_tracker/snapshot_2022-12-20_13-07-14.xlsx",
	"cdp_targets/2016_-_Cities_Emissions_Reduction_Targets_20240207.csv",
	"cdp_targets/2017_-_Cities_Emissions_Reduction_Targets_20240207.csv",
	"cdp_targets/2021_Cities_Emissions_Reduction_Targets_clean_names.csv",
}

// readShipped reads every publisher file and keeps the targets of our
// areas, as data/targets.csv records.
func readShipped(t *testing.T, cat *metrics.Catalogue) ([][]string, map[string]ingest.TargetProfile) {
	dir := rawDir(t)
	res := ingest.NewTargetResolver(cat)
	var recs [][]string
	profiles := map[string]ingest.TargetProfile{}
	for _, f := range targetFiles {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		p, rows, err := ingest.ReadTargets(f, b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		profiles[f] = p
		for _, r := range rows {
			if a := res.Area(r); a != nil {
				recs = append(recs, metrics.TargetRecord(r.Target, a.Slug, r.SourceCode))
			}
		}
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i][0] < recs[j][0] })
	return recs, profiles
}

// TestShippedTargetsMatchPublisherFiles reads the Net Zero Tracker and
// CDP files as published and checks that data/targets.csv holds exactly
// what the readers find for our areas (-update-targets writes it).
func TestShippedTargetsMatchPublisherFiles(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	cat, err := app.Store.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	recs, profiles := readShipped(t, cat)
	want := map[string]ingest.TargetProfile{
		targetFiles[0]: ingest.ProfileNetZeroTracker, targetFiles[1]: ingest.ProfileCDPTargets2016,
		targetFiles[2]: ingest.ProfileCDPTargets2017, targetFiles[3]: ingest.ProfileCDPTargets2021,
	}
	for f, p := range want {
		if profiles[f] != p {
			t.Errorf("%s read as %q, want %q", f, profiles[f], p)
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(metrics.TargetColumns)
	w.WriteAll(recs)
	path := filepath.Join("..", "data", "targets.csv")
	if *updateTargets {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, buf.Bytes()) {
		t.Errorf("data/targets.csv differs from what the readers find in the publishers' files; run go test ./ingest -run TestShippedTargets -update-targets")
	}
}

// find returns the records of an area and source whose summary fields
// match.
func find(recs [][]string, area, source string) [][]string {
	var out [][]string
	for _, r := range recs {
		if r[0] == area && r[1] == source {
			out = append(out, r)
		}
	}
	return out
}

func col(name string) int {
	for i, c := range metrics.TargetColumns {
		if c == name {
			return i
		}
	}
	panic(name)
}

// TestTargetReadersRealRows checks rows a reader would check by hand in
// the publishers' files.
func TestTargetReadersRealRows(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	cat, _ := app.Store.Catalogue(context.Background())
	recs, _ := readShipped(t, cat)
	get := func(r []string, c string) string { return r[col(c)] }

	// Hanoi in the tracker: net zero 2050 in a policy document, interim
	// 15 % by 2030 against 2020.
	hanoi := find(recs, "hanoi", "net_zero_tracker_2022")
	if len(hanoi) != 2 {
		t.Fatalf("Hanoi tracker rows: %v", hanoi)
	}
	if get(hanoi[0], "kind") != "net_zero" || get(hanoi[0], "target_year") != "2050" || get(hanoi[0], "status") != "policy" ||
		get(hanoi[0], "status_as_printed") != "In policy document" {
		t.Errorf("Hanoi end target: %v", hanoi[0])
	}
	if get(hanoi[1], "kind") != "absolute" || get(hanoi[1], "percent") != "15" || get(hanoi[1], "base_year") != "2020" || get(hanoi[1], "target_year") != "2030" {
		t.Errorf("Hanoi interim target: %v", hanoi[1])
	}
	// Milan in CDP 2021: 45 % by 2030 against 2005, base 7,418,000 t,
	// 41.5 % achieved as the city reports it; and the 2016 baseline
	// printed 7418 is kept as printed.
	var milan45 []string
	for _, r := range find(recs, "milan", "cdp_targets_2021") {
		if get(r, "percent") == "45" {
			milan45 = r
		}
	}
	if milan45 == nil || get(milan45, "base_year") != "2005" || get(milan45, "base_value") != "7418000" ||
		get(milan45, "target_year") != "2030" || get(milan45, "achieved_percent") != "41.5" || get(milan45, "kind") != "absolute" {
		t.Errorf("Milan CDP 2021 45 %% target: %v", milan45)
	}
	m16 := find(recs, "milan", "cdp_targets_2016")
	if len(m16) != 1 || get(m16[0], "base_value_as_printed") != "7418" {
		t.Errorf("Milan CDP 2016: %v", m16)
	}
	// "No target" is a dated statement: Hanoi and Ho Chi Minh City told
	// CDP in 2021; the Città Metropolitana di Milano is its own area.
	for _, a := range []string{"hanoi", "ho-chi-minh-city", "milan-metropolitan-city", "belfast", "ethekwini", "hobart"} {
		rs := find(recs, a, "cdp_targets_2021")
		if len(rs) != 1 || get(rs[0], "kind") != "no_target" || get(rs[0], "report_year") != "2021" {
			t.Errorf("%s CDP 2021: want one dated No target, got %v", a, rs)
		}
	}
	// The tracker's Tier 1 lists every city over 500,000: no target for
	// Semarang, Makassar and Nelson Mandela Bay; nothing for Seville,
	// whose row has every target field empty.
	for _, a := range []string{"semarang", "makassar", "nelson-mandela-bay"} {
		rs := find(recs, a, "net_zero_tracker_2022")
		if len(rs) != 2 || get(rs[0], "kind") != "no_target" || get(rs[1], "kind") != "no_target" {
			t.Errorf("%s tracker: %v", a, rs)
		}
	}
	if rs := find(recs, "seville", "net_zero_tracker_2022"); len(rs) != 0 {
		t.Errorf("Seville states nothing, got %v", rs)
	}
	// Names as printed: "Suweon", "Praha", "Port Elizabeth (Nelson
	// Mandela Bay)", "Thành Pho Ho Chí Minh (Ho Chi Minh City)" and the
	// Australian Capital Territory as a region.
	for _, a := range []string{"suwon", "prague", "ho-chi-minh-city", "australian-capital-territory"} {
		if len(find(recs, a, "net_zero_tracker_2022")) == 0 {
			t.Errorf("%s: no tracker row matched", a)
		}
	}
	// Every one of the 15 programme countries is in the tracker.
	for _, c := range []string{"vietnam", "italy", "slovakia", "indonesia", "croatia", "spain", "south-africa", "united-kingdom",
		"south-korea", "finland", "netherlands", "australia", "poland", "czechia", "austria"} {
		if len(find(recs, c, "net_zero_tracker_2022")) == 0 {
			t.Errorf("country %s: no tracker row", c)
		}
	}
	// Greater Manchester and the City of Manchester stay apart.
	if len(find(recs, "greater-manchester", "cdp_targets_2021")) != 1 || len(find(recs, "manchester", "cdp_targets_2021")) != 2 {
		t.Errorf("Manchester rows: greater %v, city %v", find(recs, "greater-manchester", "cdp_targets_2021"), find(recs, "manchester", "cdp_targets_2021"))
	}
}

// TestPublishTargetsAndRollBack publishes the CDP 2021 file as an
// upload and rolls it back: the seed's CDP 2021 targets come back.
func TestPublishTargetsAndRollBack(t *testing.T) {
	dir := rawDir(t)
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join(dir, targetFiles[3]))
	if err != nil {
		t.Fatal(err)
	}
	user, err := app.Store.AddUser(ctx, "targets@example.org", metrics.RoleEditor, "a long enough password", testapp.Fixed)
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := app.Store.Catalogue(ctx)
	milan, _ := cat.Area("milan")
	before, _ := app.Store.TargetsFor(ctx, milan.ID)
	res, err := ingest.PublishTargets(ctx, app.Store, user, "2021_Cities_Emissions_Reduction_Targets_clean_names.csv", b, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Profile != ingest.ProfileCDPTargets2021 || res.New == 0 || res.Replaced == 0 || res.Unmatched == 0 {
		t.Fatalf("publish: %+v", res)
	}
	after, _ := app.Store.TargetsFor(ctx, milan.ID)
	if len(after) != len(before) {
		t.Errorf("Milan has %d targets after re-publishing CDP 2021, had %d", len(after), len(before))
	}
	for _, tg := range after {
		if tg.SourceID == sourceID(cat, "cdp_targets_2021") && tg.UploadID.Int64 != res.UploadID {
			t.Errorf("target %d still from upload %d", tg.ID, tg.UploadID.Int64)
		}
	}
	if err := app.Uploads.Rollback(ctx, res.UploadID, user); err != nil {
		t.Fatal(err)
	}
	back, _ := app.Store.TargetsFor(ctx, milan.ID)
	if len(back) != len(before) || back[0].ID != before[0].ID {
		t.Errorf("after rollback Milan has %d targets (first %d), want the seed's %d (first %d)", len(back), back[0].ID, len(before), before[0].ID)
	}
}

// TestRollbackOfTargetsUnderLaterUpload: when a later upload replaced
// the targets of an earlier one, rolling back the earlier is refused,
// naming the later; rolled back newest first, both restore the seed's
// targets.
func TestRollbackOfTargetsUnderLaterUpload(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	b, err := os.ReadFile(filepath.Join(rawDir(t), targetFiles[3]))
	if err != nil {
		t.Fatal(err)
	}
	user, err := app.Store.AddUser(ctx, "targets@example.org", metrics.RoleEditor, "a long enough password", testapp.Fixed)
	if err != nil {
		t.Fatal(err)
	}
	cat, _ := app.Store.Catalogue(ctx)
	milan, _ := cat.Area("milan")
	seeded, _ := app.Store.TargetsFor(ctx, milan.ID)
	first, err := ingest.PublishTargets(ctx, app.Store, user, "2021_targets.csv", b, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	second, err := ingest.PublishTargets(ctx, app.Store, user, "2021_targets_again.csv", b, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = app.Uploads.Rollback(ctx, first.UploadID, user)
	var re *ingest.RefusedError
	if !errors.As(err, &re) || !strings.Contains(re.Error(), fmt.Sprintf("#%d (2021_targets_again.csv", second.UploadID)) {
		t.Fatalf("rolling back the first upload under the second: %v", err)
	}
	for _, id := range []int64{second.UploadID, first.UploadID} {
		if err := app.Uploads.Rollback(ctx, id, user); err != nil {
			t.Fatalf("rollback of %d: %v", id, err)
		}
	}
	back, _ := app.Store.TargetsFor(ctx, milan.ID)
	if fmt.Sprint(targetIDs(back)) != fmt.Sprint(targetIDs(seeded)) {
		t.Errorf("after both rollbacks Milan's targets are %v, the seed's %v", targetIDs(back), targetIDs(seeded))
	}
}

func targetIDs(ts []metrics.Target) []int64 {
	var out []int64
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func sourceID(cat *metrics.Catalogue, code string) int64 {
	for _, s := range cat.Sources {
		if s.Code == code {
			return s.ID
		}
	}
	return 0
}

func TestReadTargetsRefusesOtherFiles(t *testing.T) {
	_, _, err := ingest.ReadTargets("x.csv", []byte("city,indicator,year,value\nHanoi,pm25,2019,1\n"))
	if err != ingest.ErrNotTargets {
		t.Errorf("err = %v", err)
	}
	if !strings.Contains(ingest.ErrNotTargets.Error(), "targets") {
		t.Error("message")
	}
}

// TestTargetsProfileErrorsNameTheKey: a targets profile that cannot
// work is refused with the key named.
func TestTargetsProfileErrorsNameTheKey(t *testing.T) {
	base := `{"format_version": 1, "name": "t", "version": 1, "title": "T", "output": "targets",
		"read": {"format": "csv"}, "recognise": {"columns": ["Org"]}, "layout": {"kind": "long"},
		"area": {"columns": ["Org"]}, "source": {"code": "cdp_targets_2021"}, "targets": %s}`
	for _, c := range []struct{ targets, key string }{
		{`{"report_year": {"column": "Year"}, "each": [{"kind": "Type", "precent": "Pct"}]}`, "targets.each[0].precent"},
		{`{"report_year": {"column": "Year"}, "each": [{"percent": "Pct"}]}`, "targets.each[0].kind"},
		{`{"report_year": {"column": "Year"}, "each": [{"kind_constant": "promise"}]}`, "targets.each[0].kind_constant"},
		{`{"each": [{"kind": "Type"}]}`, "targets.report_year"},
	} {
		_, err := ingest.ParseProfile([]byte(strings.Replace(base, "%s", c.targets, 1)))
		if err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: err %v, want the key %s named", c.targets, err, c.key)
		}
	}
	// Shipped observation profiles never pick up a targets file.
	ps, err := ingest.ShippedProfiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Output == ingest.OutputTargets {
			t.Errorf("%s is a targets profile among the observation profiles", p.Name)
		}
	}
	tps, err := ingest.ShippedTargetProfiles()
	if err != nil || len(tps) != 4 {
		t.Errorf("targets profiles: %d, %v", len(tps), err)
	}
}

// TestUploadOfTargetsFileIsPreviewedAsTargets: an uploaded Net Zero
// Tracker workbook is recognised as a targets file and checked as one:
// the preview holds the targets of our areas it would add (Hanoi's net
// zero by 2050 among them) and the current ones of the same source it
// would replace, with nothing changed yet.
func TestUploadOfTargetsFileIsPreviewedAsTargets(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	b, err := os.ReadFile(filepath.Join(rawDir(t), targetFiles[0]))
	if err != nil {
		t.Fatal(err)
	}
	before, err := app.Store.Targets(context.Background(), metrics.TargetFilter{})
	if err != nil {
		t.Fatal(err)
	}
	p := checkBytes(t, app, "snapshot_2022-12-20_13-07-14.xlsx", b)
	if p.FileError != nil || p.Targets == nil || p.State != ingest.StateReady {
		t.Fatalf("state %s, file error %+v, targets %v", p.State, p.FileError, p.Targets != nil)
	}
	if p.ReadAs == nil || p.ReadAs.Profile != string(ingest.ProfileNetZeroTracker) || !p.ReadAs.Detected {
		t.Errorf("read as %+v", p.ReadAs)
	}
	if p.Counts.New != len(p.Targets.Targets) || p.Counts.New == 0 || p.Counts.Rejected != 0 || p.Targets.Unmatched == 0 {
		t.Errorf("counts %+v for %d targets, %d unmatched", p.Counts, len(p.Targets.Targets), p.Targets.Unmatched)
	}
	found := false
	for _, l := range p.Targets.Targets {
		tg := l.Target()
		found = found || l.Area == "hanoi" && tg.Kind == metrics.TargetNetZero && tg.TargetYear.Int64 == 2050 && tg.Status == "policy"
	}
	if !found {
		t.Errorf("Hanoi's net zero by 2050 is not among the targets: %+v", p.Targets.Targets)
	}
	cat, err := app.Store.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	nzt := 0
	for _, tg := range before {
		if src := cat.Source(tg.SourceID); src != nil && src.Code == "net_zero_tracker_2022" {
			nzt++
		}
	}
	if len(p.Targets.Replaces) == 0 || len(p.Targets.Replaces) > nzt {
		t.Errorf("%d targets replaced, of %d current from the tracker", len(p.Targets.Replaces), nzt)
	}
	after, _ := app.Store.Targets(context.Background(), metrics.TargetFilter{})
	if len(after) != len(before) {
		t.Errorf("the check changed the targets: %d, %d before", len(after), len(before))
	}
}
