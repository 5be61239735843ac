package metrics

import (
	"database/sql"
	"testing"
)

// TestProgrammeMedians takes, per indicator and year, the median of the
// programme cities' own values where at least MinMedianCities report
// one; projections and totals do not count. The cities are made up.
func TestProgrammeMedians(t *testing.T) {
	rate := &Indicator{ID: 1, Code: "rate", Direction: LowerIsBetter}
	total := &Indicator{ID: 2, Code: "total", SizeDependent: true}
	city := func(id int64) Area { return Area{ID: id, Kind: KindCity} }
	c := &Catalogue{Indicators: []*Indicator{rate, total}, Pairs: []*Pair{
		{Sides: [2]Side{{Cities: []Area{city(1), city(2)}}, {Cities: []Area{city(3)}}}},
		{Sides: [2]Side{{Cities: []Area{city(4)}}, {Cities: []Area{city(5)}}}},
		// City 1 again: counted once.
		{Sides: [2]Side{{Cities: []Area{city(6)}}, {Cities: []Area{city(1)}}}},
	}}
	val := func(area, ind int64, year int, v float64, flags string) Observation {
		return Observation{AreaID: area, IndicatorID: ind, Year: sql.NullInt64{Int64: int64(year), Valid: true},
			Value: sql.NullFloat64{Float64: v, Valid: true}, Flags: flags}
	}
	var obs []Observation
	// 2020: six cities, an even count: the mean of the middle two.
	for i, v := range []float64{60, 10, 40, 20, 50, 30} {
		obs = append(obs, val(int64(i+1), 1, 2020, v, ""), val(int64(i+1), 2, 2020, v*1000, ""))
	}
	// 2021: four cities only.
	for i, v := range []float64{1, 2, 3, 4} {
		obs = append(obs, val(int64(i+1), 1, 2021, v, ""))
	}
	// 2022: five measured values and a projection, which is left out.
	for i, v := range []float64{5, 1, 100, 3, 2} {
		obs = append(obs, val(int64(i+1), 1, 2022, v, ""))
	}
	obs = append(obs, val(6, 1, 2022, 1000, "projection"))

	got := ProgrammeMedians(c, NewDataset(obs), ProgrammeCityIDs(c))
	want := []struct {
		year int
		v    float64
		n    int
	}{{2020, 35, 6}, {2022, 3, 5}}
	if len(got) != len(want) {
		t.Fatalf("got %d medians %+v, want %d (2020 and 2022 of the rate; none of the total, none for 2021)", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.IndicatorID != rate.ID || int(g.Year.Int64) != w.year || g.Value.Float64 != w.v || g.MedianOf != w.n || g.AreaID != MedianAreaID {
			t.Errorf("median %d = indicator %d, %d: %v of %d cities (area %d), want indicator 1, %d: %v of %d cities",
				i, g.IndicatorID, g.Year.Int64, g.Value.Float64, g.MedianOf, g.AreaID, w.year, w.v, w.n)
		}
	}
}

func TestChosenPair(t *testing.T) {
	hanoi := &Area{ID: 1, Slug: "hanoi", Name: "Hanoi", Kind: KindCity, CountryISO3: "VNM"}
	vn := &Area{ID: 2, Slug: "vietnam", Name: "Vietnam", Kind: KindCountry, CountryISO3: "VNM"}
	c := &Catalogue{areaBySlug: map[string]*Area{"hanoi": hanoi, "vietnam": vn}}
	p, err := c.ChosenPair("hanoi", MedianSlug)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Chosen || p.Sides[0].Cities[0].ID != 1 || !p.Sides[1].Cities[0].IsMedian() {
		t.Errorf("ChosenPair(hanoi, median) = %+v, want Hanoi against the programme median, marked chosen", p)
	}
	for _, c2 := range [][2]string{{"hanoi", "hanoi"}, {"hanoi", "vietnam"}, {"hanoi", "atlantis"}, {MedianSlug, "hanoi"}} {
		if _, err := c.ChosenPair(c2[0], c2[1]); err == nil {
			t.Errorf("ChosenPair(%s, %s): no error, want one (the same area, a country, an unknown area, the median first)", c2[0], c2[1])
		}
	}
}
