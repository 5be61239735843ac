package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStaffCommands: user add reads the password from standard input,
// token create prints a token once, and import prints the same report
// as the page and publishes with --publish.
func TestStaffCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	ctx := context.Background()
	run := func(stdin string, args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := runWith(ctx, append(args, "-db", db), strings.NewReader(stdin), &out, &errb)
		return out.String(), err
	}
	if _, err := run("short\n", "user", "add", "--email", "a@example.org", "--role", "editor"); err == nil || !strings.Contains(err.Error(), "at least 10") {
		t.Errorf("a short password: %v", err)
	}
	if out, err := run("correct horse battery\n", "user", "add", "--email", "a@example.org", "--role", "editor"); err != nil || !strings.Contains(out, "added a@example.org (editor)") {
		t.Fatalf("user add: %q %v", out, err)
	}
	out, err := run("", "token", "create", "--email", "a@example.org", "--name", "script")
	if err != nil || !strings.HasPrefix(out, "tmk_") {
		t.Fatalf("token create: %q %v", out, err)
	}
	if out, _ := run("", "token", "list"); !strings.Contains(out, "a@example.org\tscript") || strings.Contains(out, "tmk_") {
		t.Errorf("token list shows %q", out)
	}
	// Disabling revokes the token; enabling does not bring it back.
	if out, err := run("", "user", "disable", "--email", "a@example.org"); err != nil || out != "disabled a@example.org\n" {
		t.Fatalf("user disable: %q %v", out, err)
	}
	if out, _ := run("", "token", "list"); !strings.Contains(out, "revoked") {
		t.Errorf("after user disable, token list shows %q", out)
	}
	if out, err := run("", "user", "enable", "--email", "a@example.org"); err != nil || out != "enabled a@example.org\n" {
		t.Fatalf("user enable: %q %v", out, err)
	}
	if out, err := run("", "user", "logout", "--email", "a@example.org"); err != nil || out != "0 sessions of a@example.org ended\n" {
		t.Fatalf("user logout: %q %v", out, err)
	}

	file := filepath.Join(dir, "hcmc.csv")
	os.WriteFile(file, []byte("city,indicator,year,value,unit,source\nTP.HCM,pm25_annual_mean,2025,33.33,ug/m3,who_aaq_2022_v2022\nKosce,pm25_annual_mean,2025,1,ug/m3,who_aaq_2022_v2022\n"), 0o644)
	out, err = run("", "import", file, "--email", "a@example.org")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"1 new, 0 changed, 0 unchanged, 1 rejected", "Line 3, column city (\"Kosce\")", "Did you mean Košice (kosice)?", "Nothing is published yet"} {
		if !strings.Contains(out, w) {
			t.Errorf("import report lacks %q:\n%s", w, out)
		}
	}
	if out, err = run("", "import", file, "--email", "a@example.org", "--publish"); err == nil || !strings.Contains(err.Error(), "rejected") {
		t.Errorf("import --publish with a rejected row: %v\n%s", err, out)
	}
	if out, err = run("", "import", file, "--email", "a@example.org", "--publish", "--allow-rejected"); err != nil || !strings.Contains(out, "Published as upload #2: 1 new") {
		t.Errorf("import --publish --allow-rejected: %v\n%s", err, out)
	}
	// The two imports left unpublished expire; the published one stays.
	if out, err = run("", "uploads", "prune", "-upload-retention", "1ns"); err != nil || !strings.HasPrefix(out, "removed 2 uploads untouched for 1ns") {
		t.Errorf("uploads prune: %v %q", err, out)
	}
	if out, err = run("", "uploads", "prune"); err != nil || !strings.HasPrefix(out, "removed 0 uploads untouched for 168h0m0s") {
		t.Errorf("uploads prune with the default retention: %v %q", err, out)
	}
}

// TestCommandLine: global flags stand before or after the subcommand;
// a flag of another subcommand, an unknown flag or a leftover argument
// is refused with the usage, and nothing runs.
func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	ctx := context.Background()
	run := func(stdin string, args ...string) (string, string, error) {
		var out, errb bytes.Buffer
		err := runWith(ctx, args, strings.NewReader(stdin), &out, &errb)
		return out.String(), errb.String(), err
	}
	// Global flags before the subcommand: the user is added to that
	// database (not a server started).
	if out, _, err := run("correct horse battery\n", "-db", db, "user", "add", "--email", "b@example.org", "--role", "admin"); err != nil || !strings.Contains(out, "added b@example.org (admin)") {
		t.Fatalf("-db X user add: %q %v", out, err)
	}
	if out, _, err := run("", "-db", db, "token", "create", "--email", "b@example.org", "--name", "ci"); err != nil || !strings.HasPrefix(out, "tmk_") {
		t.Fatalf("-db X token create: %q %v", out, err)
	}
	if out, _, err := run("", "token", "list", "-db", db); err != nil || !strings.Contains(out, "b@example.org\tci") {
		t.Errorf("token list -db X: %q %v", out, err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-db", db, "--email", "c@example.org", "user", "add", "--role", "editor"}, "flag provided but not defined: -email"},
		{[]string{"-db", db, "serve", "--email", "c@example.org"}, "flag provided but not defined: -email"},
		{[]string{"-db", db, "token", "list", "--role", "admin"}, "flag provided but not defined: -role"},
		{[]string{"-db", db, "user", "add", "--email", "c@example.org", "--role", "editor", "extra"}, `unexpected argument "extra"`},
		{[]string{"-db", db, "migrate", "now"}, `unexpected argument "now"`},
		{[]string{"-db", db, "backup"}, "needs a FILE"},
		{[]string{"-db", db, "import", "a.csv", "b.csv", "--email", "b@example.org"}, `unexpected argument "b.csv"`},
		{[]string{"-db", db, "user"}, "needs a verb"},
		{[]string{"-db", db, "token", "forge"}, `unknown command "token forge"`},
		{[]string{"-db", db, "serv"}, `unknown command "serv"`},
		{[]string{"-nope"}, "flag provided but not defined: -nope"},
	} {
		out, errOut, err := run("correct horse battery\n", c.args...)
		if err == nil || !strings.Contains(err.Error()+errOut, c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
		if !strings.Contains(errOut, "usage") {
			t.Errorf("%v: no usage printed: %q", c.args, errOut)
		}
		if out != "" {
			t.Errorf("%v ran: %q", c.args, out)
		}
	}
	if out, _, _ := run("", "-db", db, "token", "list"); strings.Contains(out, "c@example.org") {
		t.Error("a refused command line added a user")
	}
}
