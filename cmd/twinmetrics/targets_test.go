package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportTargetsFile: twinmetrics import reads CDP's 2021 targets
// file as published, says what it found, and publishes it as an upload.
func TestImportTargetsFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.db")
	ctx := context.Background()
	run := func(stdin string, args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := runWith(ctx, append(args, "-db", db), strings.NewReader(stdin), &out, &errb)
		return out.String(), err
	}
	if _, err := run("", "seed"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("correct horse battery\n", "user", "add", "--email", "a@example.org", "--role", "editor"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join("..", "..", "data", "raw", "cdp_targets", "2021_Cities_Emissions_Reduction_Targets_clean_names.csv")
	out, err := run("", "import", file, "--email", "a@example.org")
	if err != nil || !strings.Contains(out, "Read as targets with the profile cdp-targets-2021: 40 targets of our areas; 1182 rows are about other actors") ||
		!strings.Contains(out, "Nothing is published yet") {
		t.Fatalf("check: %q %v", out, err)
	}
	out, err = run("", "import", file, "--email", "a@example.org", "--publish")
	if err != nil || !strings.Contains(out, "40 targets, 40 earlier targets of the same source and areas replaced") {
		t.Fatalf("publish: %q %v", out, err)
	}
}
