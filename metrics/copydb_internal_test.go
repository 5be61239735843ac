package metrics

import "testing"

// pgValue reads SQLite's loosely typed values for PostgreSQL's typed
// columns: text that is a valid value converts, other text is refused
// with the value named.
func TestPgValueConvertsText(t *testing.T) {
	for _, c := range []struct {
		v    any
		typ  string
		want any
	}{
		{"true", "boolean", true},
		{int64(0), "boolean", false},
		{"2030", "integer", int64(2030)},
		{2030.0, "bigint", int64(2030)},
		{"12.5", "double precision", 12.5},
		{int64(3), "numeric", 3.0},
		{int64(7), "text", "7"},
		{[]byte("Hà Nội"), "character varying", "Hà Nội"},
		{nil, "integer", nil},
	} {
		got, err := pgValue(c.v, c.typ)
		if err != nil || got != c.want {
			t.Errorf("pgValue(%#v, %s) = %#v, %v; want %#v", c.v, c.typ, got, err, c.want)
		}
	}
	for _, c := range []struct{ v, typ, msg string }{
		{"yes please", "boolean", `"yes please" is not a boolean`},
		{"12.5", "integer", `"12.5" is not a whole number`},
		{"n/a", "real", `"n/a" is not a number`},
	} {
		if _, err := pgValue(c.v, c.typ); err == nil || err.Error() != c.msg {
			t.Errorf("pgValue(%q, %s) error = %v, want %s", c.v, c.typ, err, c.msg)
		}
	}
}
