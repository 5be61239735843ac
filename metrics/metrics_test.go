package metrics_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/twinmetrics/twinmetrics/data"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/internal/testdb"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// newStore opens a fresh migrated database: a file in a temporary
// folder, or a PostgreSQL database with TWINMETRICS_TEST_PG.
func newStore(t *testing.T) (*metrics.DB, *metrics.Store) {
	t.Helper()
	return openStore(t, testdb.Open(t, "migrated", migrate))
}

func migrate(ctx context.Context, db *metrics.DB) error {
	_, err := db.Migrate(ctx)
	return err
}

func openStore(t *testing.T, db *metrics.DB) (*metrics.DB, *metrics.Store) {
	t.Helper()
	s, err := metrics.NewStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return db, s
}

func seeded(t *testing.T) (*metrics.DB, *metrics.Store) {
	t.Helper()
	return openStore(t, testdb.Open(t, "seeded", func(ctx context.Context, db *metrics.DB) error {
		if err := migrate(ctx, db); err != nil {
			return err
		}
		s, err := metrics.NewStore(ctx, db)
		if err != nil {
			return err
		}
		defer s.Close()
		_, err = s.Seed(ctx, data.Files)
		return err
	}))
}

// seedRows reads the seed CSV the way a reader of the file would.
func seedRows(t *testing.T) []map[string]string {
	t.Helper()
	f, err := data.Files.Open("indicator_values_seed.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func TestMigrateRecordsVersionAndRefusesStaleSchema(t *testing.T) {
	ctx := context.Background()
	db, err := metrics.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err == nil || !strings.Contains(err.Error(), "twinmetrics migrate") {
		t.Fatalf("an unmigrated database must be refused with a hint to migrate, got %v", err)
	}
	n, err := db.Migrate(ctx)
	if err != nil || n == 0 {
		t.Fatalf("Migrate = %d, %v", n, err)
	}
	if err := db.CheckSchema(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Migrate(ctx); err != nil || n != 0 {
		t.Fatalf("second Migrate applied %d (%v), want 0", n, err)
	}
	var fk, jm string
	db.W.Get(&fk, "PRAGMA foreign_keys")
	db.W.Get(&jm, "PRAGMA journal_mode")
	if fk != "1" || jm != "wal" {
		t.Errorf("foreign_keys=%s journal_mode=%s, want 1 and wal", fk, jm)
	}
}

func TestSeedLoadsEveryFigure(t *testing.T) {
	db, s := seeded(t)
	rows := seedRows(t)
	n, err := s.CountObservations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != len(rows) {
		t.Fatalf("stored %d observations, the seed file has %d rows", n, len(rows))
	}
	// Each seed row is stored with its value as printed, its note and
	// its locator: compare the multiset of (locator, value as printed).
	var got []string
	if err := db.R.Select(&got, `SELECT locator || '|' || value_as_given || '|' || note FROM observations
		WHERE retired_by IS NULL AND numerator_id IS NULL`); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range rows {
		want = append(want, r["row_locator"]+"|"+r["value_as_printed"]+"|"+r["note"])
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Error("stored observations differ from the seed rows")
	}
	// Values without a number stay without one, never zero.
	var zeroFromText int
	db.R.Get(&zeroFromText, `SELECT COUNT(*) FROM observations WHERE value IS NOT NULL AND flags_as_given LIKE '%non_numeric%'`)
	if zeroFromText != 0 {
		t.Errorf("%d values printed as text were stored as numbers", zeroFromText)
	}
}

func TestSeedPairsAndAreas(t *testing.T) {
	_, s := seeded(t)
	cat, err := s.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Pairs) != 15 {
		t.Fatalf("%d pairs, want the 15 programme pairs", len(cat.Pairs))
	}
	for _, slug := range []string{"hanoi-milan", "ho-chi-minh-city-kosice"} {
		if _, err := cat.Pair(slug); err != nil {
			t.Error(err)
		}
	}
	var suwon *metrics.Pair
	for _, p := range cat.Pairs {
		if p.Sides[0].Label == "Suwon" {
			suwon = p
		}
		for i, sd := range p.Sides {
			if len(sd.Cities) == 0 {
				t.Errorf("pair %s side %d has no city", p.Slug, i+1)
			}
		}
	}
	if suwon == nil {
		t.Fatal("no Suwon pair")
	}
	var names []string
	for _, c := range suwon.Sides[1].Cities {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "Edinburgh,Glasgow,Dundee,Stirling" {
		t.Errorf("Suwon's partner side = %s, want the four Scottish cities", got)
	}
	milan, err := cat.Area("milan")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, ch := range cat.Children(milan.ID) {
		kinds[ch.Kind] = true
	}
	if !kinds[metrics.KindMetropolitan] || !kinds[metrics.KindAgglomeration] {
		t.Errorf("Milan's linked areas have kinds %v, want its metropolitan city and agglomerations", kinds)
	}
	for _, iso := range []string{"VNM", "ITA", "SVK"} {
		if c := cat.Country(iso); c == nil || c.Kind != metrics.KindCountry {
			t.Errorf("no country area for %s", iso)
		}
	}
	// ISO 37120 energy and climate indicators exist even without data.
	for _, code := range []string{"final_energy_per_capita", "renewable_energy_share", "public_building_energy_intensity", "street_lighting_electricity_per_km", "ghg_per_capita"} {
		ind, err := cat.Indicator(code)
		if err != nil {
			t.Error(err)
			continue
		}
		if !strings.Contains(ind.Standards, "ISO 37120") {
			t.Errorf("%s has no ISO 37120 reference: %q", code, ind.Standards)
		}
	}
}

// dump lists every row of the tables the seed writes, for comparison.
func dump(t *testing.T, db *metrics.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT slug || name || local_name || kind || COALESCE(CAST(parent_id AS TEXT), '') FROM areas ORDER BY id",
		"SELECT CAST(area_id AS TEXT) || alias FROM area_aliases ORDER BY area_id, alias",
		"SELECT slug || confidence FROM pairs ORDER BY id",
		"SELECT CAST(pair_id AS TEXT) || CAST(side AS TEXT) || CAST(area_id AS TEXT) FROM pair_members ORDER BY pair_id, side, position",
		"SELECT code || unit || direction || name_en || name_vi FROM indicators ORDER BY id",
		"SELECT code || title || vintage || licence || citation FROM sources ORDER BY id",
		"SELECT CAST(area_id AS TEXT) || '|' || CAST(indicator_id AS TEXT) || '|' || COALESCE(CAST(year AS TEXT), '') || '|' || COALESCE(CAST(value AS TEXT), '') || '|' || flags FROM observations WHERE retired_by IS NULL ORDER BY area_id, indicator_id, year, value, flags",
	} {
		var rows []string
		if err := db.R.Select(&rows, q); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s\n%s\n", q, strings.Join(rows, "\n"))
	}
	return b.String()
}

func TestSeedTwiceGivesTheSameRows(t *testing.T) {
	db, s := seeded(t)
	before := dump(t, db)
	res, err := s.Seed(context.Background(), data.Files)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Skipped {
		t.Error("the same seed applied twice was not recognised")
	}
	if after := dump(t, db); after != before {
		t.Error("seeding twice changed the stored rows")
	}

	// A changed seed file (here: one more line of whitespace) is applied
	// again; the current rows come out the same and the earlier ones stay
	// stored, retired.
	m := testapp.SeedCopy(t)
	m["programme_pairs.csv"].Data = append(append([]byte{}, m["programme_pairs.csv"].Data...), '\n')
	res, err = s.Seed(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped {
		t.Fatal("a changed seed was skipped")
	}
	if after := dump(t, db); after != before {
		t.Error("re-seeding a changed seed changed the current rows")
	}
	var retired int
	db.R.Get(&retired, "SELECT COUNT(*) FROM observations WHERE retired_by IS NOT NULL")
	if retired != len(seedRows(t)) {
		t.Errorf("%d observations retired, want the %d of the first seed", retired, len(seedRows(t)))
	}
}

func TestHeadlineRuleNewestVintage(t *testing.T) {
	_, s := seeded(t)
	ctx := context.Background()
	cat, err := s.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hanoi, err := cat.Area("hanoi")
	if err != nil {
		t.Fatal(err)
	}
	pm25, err := cat.Indicator("pm25_annual_mean")
	if err != nil {
		t.Fatal(err)
	}
	obs, err := s.ObservationsForAreas(ctx, []int64{hanoi.ID})
	if err != nil {
		t.Fatal(err)
	}
	d := metrics.NewDataset(obs)
	p, ok := d.At(hanoi.ID, pm25.ID, 2016)
	if !ok {
		t.Fatal("no Hanoi PM2.5 2016")
	}
	// The seed has three 2016 values: 50.81 (WHO 2022, data version 2022),
	// 47.91 (WHO 2022, data version 2018) and 48 (WHO 2018 v14).
	if p.Count != 3 || p.Value != 50.81 || p.Rule != metrics.RuleNewest {
		t.Errorf("Hanoi PM2.5 2016 = %v of %d by %s, want 50.81 of 3 by newest vintage", p.Value, p.Count, p.Rule)
	}
	for _, o := range p.Others {
		if o.SourceVintage.String >= p.Obs.SourceVintage.String {
			t.Errorf("passed-over value %v has vintage %s, not older than %s", o.Value.Float64, o.SourceVintage.String, p.Obs.SourceVintage.String)
		}
	}
	latest, _ := d.Latest(hanoi.ID, pm25.ID)
	if latest.Year != 2019 || latest.Value != 52.09 {
		t.Errorf("Hanoi latest PM2.5 = %v (%d), want 52.09 (2019)", latest.Value, latest.Year)
	}
}

func TestLatestSkipsProjections(t *testing.T) {
	_, s := seeded(t)
	ctx := context.Background()
	cat, err := s.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	agg, err := cat.Area("hanoi-agglomeration")
	if err != nil {
		t.Fatal(err)
	}
	pop, err := cat.Indicator("population")
	if err != nil {
		t.Fatal(err)
	}
	obs, err := s.ObservationsForAreas(ctx, []int64{agg.ID})
	if err != nil {
		t.Fatal(err)
	}
	d := metrics.NewDataset(obs)
	p, ok := d.Latest(agg.ID, pop.ID)
	if !ok || p.Projection() || p.Year != 2015 {
		t.Errorf("latest agglomeration population = %d (projection %v), want the 2015 estimate, not a projection", p.Year, p.Projection())
	}
}

func TestDerivedGHGPerCapita(t *testing.T) {
	db, _ := seeded(t)
	type row struct {
		Value   float64 `db:"value"`
		Note    string  `db:"note"`
		Flags   string  `db:"flags"`
		NumVal  float64 `db:"num_value"`
		NumYear int     `db:"num_year"`
		DenVal  float64 `db:"den_value"`
		DenYear int     `db:"den_year"`
	}
	var rs []row
	err := db.R.Select(&rs, `SELECT o.value, o.note, o.flags, n.value AS num_value, n.year AS num_year, d.value AS den_value, d.year AS den_year
		FROM observations o
		JOIN indicators i ON i.id = o.indicator_id
		JOIN areas a ON a.id = o.area_id
		JOIN observations n ON n.id = o.numerator_id
		JOIN observations d ON d.id = o.denominator_id
		WHERE i.code = 'ghg_per_capita' AND a.slug = 'milan'`)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("%d Milan GHG per capita values, want 1 (2013 inventory)", len(rs))
	}
	r := rs[0]
	// CDP 2016: Milan's 2013 inventory of 5,976,779 t and, with no 2013
	// population, the 2014 population of 1,350,680.
	if r.NumYear != 2013 || r.DenYear != 2014 || r.NumVal != 5976779 || r.DenVal != 1350680 {
		t.Errorf("components = %v (%d) / %v (%d)", r.NumVal, r.NumYear, r.DenVal, r.DenYear)
	}
	// 5,976,779 / 1,350,680 = 4.425014807…, kept to the six significant
	// digits the population carries.
	if r.Value != 4.42501 || math.Abs(r.Value-r.NumVal/r.DenVal) > 5e-6 || r.Note != "population of 2014" {
		t.Errorf("derived = %v %q, want 4.42501 \"population of 2014\"", r.Value, r.Note)
	}
	if !strings.Contains(r.Flags, "co2_only") || !strings.Contains(r.Flags, "self_reported") {
		t.Errorf("flags %q must carry the inventory's co2_only and self_reported", r.Flags)
	}
	// No derived value uses a population more than two years away.
	var far int
	db.R.Get(&far, `SELECT COUNT(*) FROM observations o JOIN observations n ON n.id = o.numerator_id
		JOIN observations d ON d.id = o.denominator_id WHERE abs(n.year - d.year) > 2 OR d.area_id <> o.area_id OR n.area_id <> o.area_id`)
	if far != 0 {
		t.Errorf("%d derived values use a population of another area or more than 2 years away", far)
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Hà Nội": "ha noi", "Ha Noi": "ha noi", "Košice": "kosice", "KOSICE": "kosice",
		"TP.HCM": "tp hcm", "Thành phố Hồ Chí Minh": "thanh pho ho chi minh", "Đà Nẵng": "da nang", "Málaga": "malaga",
	} {
		if got := metrics.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConvert(t *testing.T) {
	cases := []struct {
		v         float64
		from, to  string
		want      float64
		wantError bool
	}{
		{23.9, "TWh", "mwh", 23900000, false},
		{1, "MWh", "gj", 3.6, false},
		{2.5, "kt CO2e", "t_co2e", 2500, false},
		{5.8, "Mt", "t_co2e", 5800000, false},
		{50, "µg/m3", "ug_m3", 50, false},
		{50, "", "percent", 50, false},
		{1, "kWh", "t_co2e", 0, true},
		{1, "furlongs", "km", 0, true},
	}
	for _, c := range cases {
		got, err := metrics.Convert(c.v, c.from, c.to)
		if (err != nil) != c.wantError || math.Abs(got-c.want) > 1e-6*math.Max(1, c.want) {
			t.Errorf("Convert(%v %s → %s) = %v, %v; want %v (error %v)", c.v, c.from, c.to, got, err, c.want, c.wantError)
		}
	}
}

// A coordinate or sort order the seed cannot read stops the seed with
// its file, line and column, and leaves the stored rows as they were: a
// coordinate was stored as unknown, the city left off the map without a
// word, and a sort order as 0.
func TestSeedRefusesUnreadableNumbers(t *testing.T) {
	db, s := seeded(t)
	before := dump(t, db)
	// setCell sets a column of the first data row of a seed file.
	setCell := func(m fstest.MapFS, file, column, value string) {
		rows, err := csv.NewReader(bytes.NewReader(m[file].Data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		i := slices.Index(rows[0], column)
		if i < 0 {
			t.Fatalf("%s has no column %s", file, column)
		}
		rows[1][i] = value
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.WriteAll(rows)
		m[file].Data = b.Bytes()
	}
	for _, c := range []struct{ file, column, value, want string }{
		{"areas.csv", "latitude", "21,0245", `areas.csv line 2: hanoi: column latitude: "21,0245" is not decimal degrees`},
		{"areas.csv", "longitude", "205.84117", `areas.csv line 2: hanoi: column longitude: "205.84117" is not decimal degrees between -180 and 180`},
		{"indicators.csv", "sort_order", "1O", `indicators.csv line 2: column sort_order: "1O" is not a whole number`},
	} {
		m := testapp.SeedCopy(t)
		setCell(m, c.file, c.column, c.value)
		_, err := s.Seed(context.Background(), m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("seed with %s %s %q: error %v, want %q", c.file, c.column, c.value, err, c.want)
		}
		if after := dump(t, db); after != before {
			t.Errorf("seed with %s %s %q changed the stored rows", c.file, c.column, c.value)
		}
	}
}
