package metrics

import (
	"database/sql"
	"math"
	"testing"
)

func obs(id int64, area int64, year int, v float64, source, vintage string, pref bool, flags, note string) Observation {
	return Observation{ID: id, AreaID: area, IndicatorID: 1, Year: sql.NullInt64{Int64: int64(year), Valid: year != 0},
		Value: sql.NullFloat64{Float64: v, Valid: true}, Flags: flags, Note: note,
		SourceCode: sql.NullString{String: source, Valid: true}, SourceTitle: sql.NullString{String: source, Valid: true},
		SourceVintage: sql.NullString{String: vintage, Valid: true}, SourcePref: sql.NullBool{Bool: pref, Valid: true}}
}

func TestGap(t *testing.T) {
	lower := &Indicator{Direction: LowerIsBetter}
	higher := &Indicator{Direction: HigherIsBetter}
	neutral := &Indicator{Direction: Neutral}
	total := &Indicator{Direction: LowerIsBetter, SizeDependent: true}
	cases := []struct {
		name     string
		ind      *Indicator
		a, b     float64
		better   int
		ratio    float64
		hasRatio bool
	}{
		{"Hanoi against Milan on PM2.5, 2019", lower, 52.09, 20.87, 2, 52.09 / 20.87, true},
		{"lower is better, side 1 lower", lower, 10, 20, 1, 0.5, true},
		{"higher is better, side 2 higher", higher, 10, 20, 2, 0.5, true},
		{"equal values: nobody better", lower, 7, 7, 0, 1, true},
		{"neutral indicator: no verdict", neutral, 10, 20, 0, 0.5, true},
		{"zero on side 2: no ratio", higher, 10, 0, 1, 0, false},
		{"a total: no verdict, no ratio", total, 24000, 2760000, 0, 0, false},
	}
	for _, c := range cases {
		g := gap(c.ind, c.a, c.b)
		if g.Better != c.better {
			t.Errorf("%s: better = %d, want %d", c.name, g.Better, c.better)
		}
		if g.HasRatio != c.hasRatio || (c.hasRatio && g.Ratio != c.ratio) {
			t.Errorf("%s: ratio = %v (%v), want %v (%v)", c.name, g.Ratio, g.HasRatio, c.ratio, c.hasRatio)
		}
		if g.Diff != c.a-c.b {
			t.Errorf("%s: diff = %v, want %v", c.name, g.Diff, c.a-c.b)
		}
		if g.Total != c.ind.SizeDependent {
			t.Errorf("%s: total = %v, want %v", c.name, g.Total, c.ind.SizeDependent)
		}
	}
}

func TestBetterOrdersByPreferenceThenVintageThenID(t *testing.T) {
	cases := []struct {
		name string
		a, b Observation
		want bool // a before b
	}{
		{"preferred source wins over a newer vintage", obs(9, 1, 2016, 1, "x", "2016", true, "", ""), obs(1, 1, 2016, 2, "y", "2022", false, "", ""), true},
		{"newest vintage", obs(9, 1, 2016, 50.81, "who_aaq_2022_v2022", "2022", false, "", ""), obs(1, 1, 2016, 47.91, "who_aaq_2022_v2018", "2018", false, "", ""), true},
		{"older vintage loses", obs(1, 1, 2016, 47.91, "v2018", "2018", false, "", ""), obs(9, 1, 2016, 50.81, "v2022", "2022", false, "", ""), false},
		{"same vintage: first recorded", obs(1, 1, 2016, 47.91, "a", "2018", false, "", ""), obs(2, 1, 2016, 48, "a", "2018", false, "", ""), true},
	}
	for _, c := range cases {
		if got := better(c.a, c.b); got != c.want {
			t.Errorf("%s: better = %v, want %v", c.name, got, c.want)
		}
		if got := better(c.b, c.a); got == c.want {
			t.Errorf("%s: better is not antisymmetric", c.name)
		}
	}
	p := choose(2016, []Observation{obs(1, 1, 2016, 47.91, "v2018", "2018", false, "", ""), obs(2, 1, 2016, 48, "v2018", "2018", false, "", ""), obs(3, 1, 2016, 50.81, "v2022", "2022", false, "", "")})
	if p.Value != 50.81 || p.Rule != RuleNewest || p.Count != 3 || len(p.Others) != 2 {
		t.Errorf("choose: %v by %s of %d (%d others), want 50.81 by newest vintage of 3", p.Value, p.Rule, p.Count, len(p.Others))
	}
}

func TestCompareWarnings(t *testing.T) {
	city := &Area{ID: 1, Kind: KindCity}
	city2 := &Area{ID: 2, Kind: KindCity}
	metro := &Area{ID: 3, Kind: KindMetropolitan}
	side := func(c, area *Area, year int, source, note string) SideValue {
		return SideValue{City: c, Area: area, Found: true, Point: Point{Year: year, Obs: obs(int64(year), area.ID, year, 1, source, "", false, "", note)}}
	}
	hanoiNote := "Reference: U.S. Department of State, United States Environmental Protection Agency.; stations: NA; temporal coverage: 59"
	milanNote := "Reference: European Environment Agency (downloaded in 2021); stations: NA; temporal coverage: n/a"
	kinds := func(ws []Warning) []string {
		var out []string
		for _, w := range ws {
			out = append(out, w.Kind)
		}
		return out
	}
	cases := []struct {
		name string
		a, b SideValue
		want []string
	}{
		{"same year, source, boundary and basis", side(city, city, 2019, "who", milanNote), side(city2, city2, 2019, "who", milanNote), nil},
		{"different years", side(city, city, 2015, "who", ""), side(city2, city2, 2019, "who", ""), []string{WarnYears}},
		{"different sources", side(city, city, 2019, "cdp", ""), side(city2, city2, 2019, "c40", ""), []string{WarnSources}},
		{"a metropolitan value against a city", side(city, metro, 2019, "who", ""), side(city2, city2, 2019, "who", ""), []string{WarnBoundary}},
		{"US embassy monitor against EEA stations", side(city, city, 2019, "who", hanoiNote), side(city2, city2, 2019, "who", milanNote), []string{WarnMethod}},
		{"basis known on one side only", side(city, city, 2019, "who", hanoiNote), side(city2, city2, 2019, "who", ""), nil},
	}
	for _, c := range cases {
		got := kinds(compareWarnings(c.a, c.b))
		if len(got) != len(c.want) {
			t.Errorf("%s: warnings %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: warnings %v, want %v", c.name, got, c.want)
			}
		}
	}
}

func TestMeasurementBasis(t *testing.T) {
	b, ok := MeasurementBasis("Reference: EPA South Australia; stations: 4 Residential, 2 Residential/Industry; temporal coverage: 97.5")
	if !ok || b.Reference != "EPA South Australia" || b.Stations != "4 Residential, 2 Residential/Industry" || b.Coverage != "97.5" {
		t.Errorf("basis = %+v, %v", b, ok)
	}
	b, ok = MeasurementBasis("Reference: U.S. Department of State, United States Environmental Protection Agency.; stations: NA; temporal coverage: n/a")
	if !ok || b.Reference != "U.S. Department of State, United States Environmental Protection Agency" || b.Stations != "" || b.Coverage != "" {
		t.Errorf("NA and n/a must read as not given: %+v", b)
	}
	if _, ok := MeasurementBasis("country-level figure; use only as fallback/normalisation"); ok {
		t.Error("a note without a reference has no basis")
	}
}

// TestNearestYear: a city without a value of its own takes the most
// recent value of its linked areas, and At finds only an exact year.
func TestNearestYear(t *testing.T) {
	city := &Area{ID: 1, Kind: KindCity}
	metro := &Area{ID: 2, Kind: KindMetropolitan, ParentID: sql.NullInt64{Int64: 1, Valid: true}}
	agglo := &Area{ID: 3, Kind: KindAgglomeration, ParentID: sql.NullInt64{Int64: 1, Valid: true}}
	c := &Catalogue{children: map[int64][]*Area{1: {metro, agglo}}}
	ind := &Indicator{ID: 1, Direction: LowerIsBetter}
	d := NewDataset([]Observation{
		obs(1, 2, 2014, 10, "a", "", false, "", ""),
		obs(2, 3, 2018, 20, "b", "", false, "", ""),
		obs(3, 3, 2030, 25, "b", "", false, "projection", ""),
	})
	v := LatestFor(c, d, city, ind)
	if !v.Found || v.Area != agglo || v.Point.Year != 2018 {
		t.Fatalf("LatestFor = %+v, want the agglomeration's 2018 value (a 2030 projection is no measurement)", v)
	}
	if !v.OtherBoundary() {
		t.Error("a linked area's value must say it is another boundary")
	}
	if _, ok := d.At(2, 1, 2015); ok {
		t.Error("At(2015) found a value: only 2014 exists")
	}
}

func TestTrendWithinOneSource(t *testing.T) {
	ind := &Indicator{ID: 1, Direction: LowerIsBetter}
	d := NewDataset([]Observation{
		obs(1, 1, 2011, 46, "v2018", "2018", false, "", ""),
		obs(2, 1, 2015, 81.76, "v2022", "2022", false, "low_coverage", ""),
		obs(3, 1, 2016, 50.81, "v2022", "2022", false, "", ""),
		obs(4, 1, 2017, 42.46, "v2022", "2022", false, "", ""),
		obs(5, 1, 2019, 52.09, "v2022", "2022", false, "", ""),
	})
	last, _ := d.Latest(1, 1)
	tr := d.Trend(1, ind, last)
	if tr.FromYear != 2016 || tr.ToYear != 2019 {
		t.Fatalf("trend over %d–%d, want 2016–2019 (2015 has low coverage, 2011 another source)", tr.FromYear, tr.ToYear)
	}
	if want := (52.09 - 50.81) / 3; math.Abs(tr.PerYear-want) > 1e-9 || tr.Improving != -1 {
		t.Errorf("trend %+v, want %v a year, worsening", tr, want)
	}
	// A break in series ends the run there.
	d = NewDataset([]Observation{
		obs(1, 1, 2010, 30, "e", "", false, "", ""),
		obs(2, 1, 2012, 20, "e", "", false, "break_in_series", ""),
		obs(3, 1, 2015, 15, "e", "", false, "", ""),
	})
	last, _ = d.Latest(1, 1)
	if tr := d.Trend(1, ind, last); tr.FromYear != 2012 || tr.Improving != 1 {
		t.Errorf("trend across a break: %+v, want from 2012, improving", tr)
	}
	// One value is no trend.
	d = NewDataset([]Observation{obs(1, 1, 2019, 5, "a", "", false, "", "")})
	last, _ = d.Latest(1, 1)
	if d.Trend(1, ind, last).Valid() {
		t.Error("a single value has no trend")
	}
}

func TestAlternatesKeepVintagesApart(t *testing.T) {
	var os []Observation
	for i, y := range []int{2014, 2015, 2016} {
		os = append(os, obs(int64(10+i), 1, y, 8+float64(i), "owid_snapshot_2020", "2020", false, "", ""))
		os = append(os, obs(int64(20+i), 1, y, 18+float64(i), "owid_snapshot_2024", "2024", false, "", ""))
	}
	os = append(os, obs(30, 1, 2016, 47, "other", "2010", false, "", ""))
	d := NewDataset(os)
	alts := d.Alternates(1, 1)
	if len(alts) != 1 || alts[0].SourceCode != "owid_snapshot_2020" || len(alts[0].Points) != 3 || alts[0].Points[1].Value != 9 {
		t.Fatalf("alternates = %+v, want the 2020 snapshot's three values", alts)
	}
	if p, _ := d.At(1, 1, 2015); p.Obs.SourceCode.String != "owid_snapshot_2024" {
		t.Errorf("shown 2015 value from %s, want the newest vintage", p.Obs.SourceCode.String)
	}
}
