package dashboard_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// TestTypedClientCompiles generates a typed client from the served
// OpenAPI document with openapi-typescript and compiles a script's
// calls to the uploads API and the observations against it with tsc.
func TestTypedClientCompiles(t *testing.T) {
	node := needNode(t, "openapi-typescript")
	needNode(t, "typescript")
	root := repoRoot(t)
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/api/v1/openapi.json")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "openapi.json"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join("testdata", "tsclient", "client.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "client.ts"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(node, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	run(filepath.Join(root, "node_modules", "openapi-typescript", "bin", "cli.js"), "openapi.json", "-o", "api.d.ts")
	run(filepath.Join(root, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "--strict", "--target", "es2022",
		"--module", "esnext", "--moduleResolution", "bundler", "--lib", "es2022,dom,dom.iterable", "client.ts")
}
