package metrics

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestPGToolArgs: the URL the instances connect with reaches pg_dump and
// pg_restore without its password on their command line (other users of
// the machine can read it there), in the environment instead; the pgx
// driver's own settings are dropped and server settings become libpq's
// options, which pg_dump would otherwise refuse.
func TestPGToolArgs(t *testing.T) {
	conn, env, err := pgToolArgs("postgres://app:s3cr%20t@db.example.org:6432/twin?sslmode=require&statement_cache_capacity=100&search_path=twin%2Cpublic&application_name=twinmetrics")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(conn, "s3cr") {
		t.Errorf("the password is on the command line: %s", conn)
	}
	if !slices.Contains(env, "PGPASSWORD=s3cr t") {
		t.Errorf("the password is not in the environment")
	}
	u, err := url.Parse(conn)
	if err != nil {
		t.Fatal(err)
	}
	if u.User.Username() != "app" || u.Host != "db.example.org:6432" || u.Path != "/twin" {
		t.Errorf("user, host or database lost: %s", conn)
	}
	q := u.Query()
	if q.Get("sslmode") != "require" || q.Get("application_name") != "twinmetrics" {
		t.Errorf("libpq settings lost: %s", conn)
	}
	if q.Has("statement_cache_capacity") || q.Has("search_path") {
		t.Errorf("settings libpq refuses in a URL are left in it: %s", conn)
	}
	if got := q.Get("options"); got != "-c search_path=twin,public" {
		t.Errorf("options = %q, want the server setting", got)
	}
	// libpq decodes %20, not +.
	if strings.Contains(u.RawQuery, "+") {
		t.Errorf("a space is written as + in %s", u.RawQuery)
	}

	if _, _, err := pgToolArgs("var/twinmetrics.db"); err == nil {
		t.Error("a file path was taken for a PostgreSQL URL")
	}
}
