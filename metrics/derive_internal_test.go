package metrics

import "testing"

func TestPickDenominator(t *testing.T) {
	pop := func(year int, v float64, vintage string) component {
		return component{Year: year, Value: v, Vintage: vintage}
	}
	cases := []struct {
		name  string
		year  int
		cands []component
		want  int // year of the chosen population, 0 for none
		value float64
	}{
		{"same year wins", 2015, []component{pop(2014, 1, "a"), pop(2015, 2, "a"), pop(2016, 3, "a")}, 2015, 2},
		{"nearest", 2013, []component{pop(2014, 1, "a"), pop(2016, 2, "a")}, 2014, 1},
		{"tie goes to the earlier year", 2015, []component{pop(2016, 2, "a"), pop(2014, 1, "a")}, 2014, 1},
		{"two years is the limit", 2013, []component{pop(2015, 1, "a")}, 2015, 1},
		{"three years is too far", 2013, []component{pop(2016, 1, "a"), pop(2010, 1, "a")}, 0, 0},
		{"newest vintage within a year", 2015, []component{pop(2015, 1, "2016"), pop(2015, 2, "2018")}, 2015, 2},
		{"zero population is no denominator", 2015, []component{pop(2015, 0, "a")}, 0, 0},
	}
	for _, c := range cases {
		got, ok := pickDenominator(c.year, c.cands)
		if c.want == 0 {
			if ok {
				t.Errorf("%s: chose %d, want none", c.name, got.Year)
			}
			continue
		}
		if !ok || got.Year != c.want || got.Value != c.value {
			t.Errorf("%s: chose %d (%v), want %d (%v)", c.name, got.Year, got.Value, c.want, c.value)
		}
	}
}

// TestDerivedValuesCarryTheirInputsPrecision: a per-capita value has the
// significant digits of its less precise component, at least three.
func TestDerivedValuesCarryTheirInputsPrecision(t *testing.T) {
	for _, c := range []struct {
		num, den, factor, want float64
	}{
		{4850000, 8053663, 1, 0.602},            // 3 digits over 7
		{63701.24677940001, 1000, 1, 63.70},     // 16 digits over 1: the floor of 3
		{12345678, 1234567, 1000, 10000.01},     // 8 over 7 digits: 7
		{2.5, 4, 100000, 62500},                 // 2 over 1 digit: 3
		{1.0 / 3, 1.0 / 7, 1, 2.33333333333333}, // at most 15, as a float prints
	} {
		if got := derivedValue(c.num, c.den, c.factor); got != c.want {
			t.Errorf("%v / %v × %v = %v, want %v", c.num, c.den, c.factor, got, c.want)
		}
	}
}
