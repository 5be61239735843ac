package ingest

import "testing"

// TestParseYearAs: years as CDP prints them, by the stated rule.
func TestParseYearAs(t *testing.T) {
	cases := []struct {
		text string
		spec YearSpec
		want int
	}{
		{"12/31/2013 12:00:00 AM", YearSpec{Parse: "date"}, 2013},
		{"2014-06-30", YearSpec{Parse: "date"}, 2014},
		{"2019", YearSpec{Parse: "date"}, 2019},
		{"2013-07-01 - 2014-06-30", YearSpec{Parse: "fiscal_range", FiscalRule: "end"}, 2014},
		{"2013-07-01 - 2014-06-30", YearSpec{Parse: "fiscal_range", FiscalRule: "start"}, 2013},
		{"2013-04-01 - 2014-03-31", YearSpec{Parse: "fiscal_range", FiscalRule: "majority"}, 2013},
		{"2013-10-01 - 2014-09-30", YearSpec{Parse: "fiscal_range", FiscalRule: "majority"}, 2014},
		{"2015-01-01 - 2015-12-31", YearSpec{Parse: "fiscal_range", FiscalRule: "end"}, 2015},
		{"2015", YearSpec{}, 2015},
		{"2015.0", YearSpec{}, 2015},
	}
	for _, c := range cases {
		if got, ok := parseYearAs(c.text, &c.spec); !ok || got != c.want {
			t.Errorf("%q with %+v: %d %v, want %d", c.text, c.spec, got, ok, c.want)
		}
	}
	for _, bad := range []string{"last year", "2019/20", ""} {
		if _, ok := parseYearAs(bad, &YearSpec{Parse: "fiscal_range", FiscalRule: "end"}); ok {
			t.Errorf("%q read as a year", bad)
		}
	}
}
