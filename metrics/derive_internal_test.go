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
