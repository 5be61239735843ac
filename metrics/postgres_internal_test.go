package metrics

import (
	"database/sql/driver"
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

// TestMigrationsMatchOnBothEngines: each engine has the same migrations,
// by number and name, so that a database moved between them (and the
// schema_migrations rows a copy carries) means the same schema; a
// PostgreSQL-only file must stand for a shared one.
func TestMigrationsMatchOnBothEngines(t *testing.T) {
	lite, err := loadMigrations(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := loadMigrations(Postgres)
	if err != nil {
		t.Fatal(err)
	}
	names := func(ms []migration) (out []string) {
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	if !reflect.DeepEqual(names(lite), names(pg)) {
		t.Fatalf("migrations differ:\nSQLite     %v\nPostgreSQL %v", names(lite), names(pg))
	}
	own, _ := fs.ReadDir(migrationFiles, "migrations/postgres")
	for _, e := range own {
		if _, err := fs.Stat(migrationFiles, "migrations/"+e.Name()); err != nil {
			t.Errorf("migrations/postgres/%s has no migrations/%s", e.Name(), e.Name())
		}
	}
	for i, m := range pg {
		var code strings.Builder
		for _, l := range strings.Split(m.SQL, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				code.WriteString(l + "\n")
			}
		}
		for _, sqliteOnly := range []string{"NOCASE", "INTEGER", " REAL", "AUTOINCREMENT", "{{"} {
			if strings.Contains(code.String(), sqliteOnly) {
				t.Errorf("PostgreSQL's %s still says %s", m.Name, sqliteOnly)
			}
		}
		if lite[i].SQL == "" {
			t.Errorf("SQLite's %s is empty", m.Name)
		}
	}
}

// TestQueriesRenderOnBothEngines: every query file renders for both
// engines, and PostgreSQL's asks for no SQLite function.
func TestQueriesRenderOnBothEngines(t *testing.T) {
	v := reflect.TypeOf(queries{})
	for i := 0; i < v.NumField(); i++ {
		name := v.Field(i).Name
		for _, d := range []Dialect{SQLite, Postgres} {
			q, err := querySQL(name, d)
			if err != nil {
				t.Fatalf("%s on %s: %v", name, d, err)
			}
			if strings.Contains(q, "--") {
				t.Errorf("%s on %s kept a comment", name, d)
			}
			if d == Postgres && strings.Contains(q, "json_each") {
				t.Errorf("%s on PostgreSQL: %s", name, q)
			}
		}
	}
}

func TestRebindPG(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT ? + ?`, `SELECT $1 + $2`},
		{`SELECT '?', "a?b", ? -- why?` + "\n" + `FROM t /* ? */ WHERE x = ?`, `SELECT '?', "a?b", $1 -- why?` + "\n" + `FROM t /* ? */ WHERE x = $2`},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{`WHERE a = :area AND b = :indicator AND c = :area`, `WHERE a = $1 AND b = $2 AND c = $1`},
		{`SELECT x::bigint, ? WHERE y = :y`, `SELECT x::bigint, $1 WHERE y = $2`},
		{`SELECT '12:30', @after`, `SELECT '12:30', $1`},
		{`DO $fn$ BEGIN x := ?; END $fn$; SELECT ?, $$a?$$`, `DO $fn$ BEGIN x := ?; END $fn$; SELECT $1, $$a?$$`},
	} {
		if got := rebindPG(c.in).sql; got != c.want {
			t.Errorf("rebindPG(%q)\n = %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestRebindPGOrdersNamedArguments: named arguments reach the numbers
// their names got, whatever order the caller passed them in.
func TestRebindPGOrdersNamedArguments(t *testing.T) {
	rb := rebindPG(`SELECT ? WHERE a = :a AND b = :b AND a2 = :a`)
	got, err := rb.args([]driver.NamedValue{
		{Name: "b", Value: "B"}, {Ordinal: 2, Value: int64(7)}, {Name: "a", Value: "A"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var vals []any
	for i, a := range got {
		if a.Ordinal != i+1 || a.Name != "" {
			t.Errorf("argument %d: ordinal %d name %q", i, a.Ordinal, a.Name)
		}
		vals = append(vals, a.Value)
	}
	if want := []any{int64(7), "A", "B"}; !reflect.DeepEqual(vals, want) {
		t.Errorf("arguments %v, want %v", vals, want)
	}
	if _, err := rb.args([]driver.NamedValue{{Ordinal: 1, Value: 1}, {Name: "a", Value: "A"}}); err == nil {
		t.Error("a missing :b was not refused")
	}
}
