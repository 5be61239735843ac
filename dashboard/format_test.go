package dashboard

import "testing"

func TestFormatNumber(t *testing.T) {
	cases := []struct {
		v    float64
		lang string
		want string
	}{
		{52.09, "en", "52.09"},
		{52.09, "vi", "52,09"},
		{8053663, "en", "8,053,663"},
		{8053663, "vi", "8.053.663"},
		{20.87, "en", "20.87"},
		{0.42, "en", "0.42"},
		{0.004, "en", "0.004"},
		{4008005.06, "en", "4,008,005.06"},
		{-1234.5, "en", "−1,234.5"},
		{100, "en", "100"},
		{0, "en", "0"},
	}
	for _, c := range cases {
		if got := FormatNumber(c.v, c.lang); got != c.want {
			t.Errorf("FormatNumber(%v, %s) = %q, want %q", c.v, c.lang, got, c.want)
		}
	}
	if got := FormatRatio(52.09/20.87, "en"); got != "2.5×" {
		t.Errorf("FormatRatio = %q, want 2.5×", got)
	}
}
