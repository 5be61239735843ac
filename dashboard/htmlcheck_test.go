package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// nuMessage is one message of the Nu Html Checker's JSON output.
type nuMessage struct {
	Type      string `json:"type"`    // "error", "info", "non-document-error"
	SubType   string `json:"subType"` // "warning" for info, "fatal" for error, …
	URL       string `json:"url"`
	LastLine  int    `json:"lastLine"`
	FirstCol  int    `json:"firstColumn"`
	LastCol   int    `json:"lastColumn"`
	Message   string `json:"message"`
	Extract   string `json:"extract"`
	HiliteLen int    `json:"hiliteLength"`
}

// TestHTMLNuChecker checks the HTML of every quality page in English and
// Vietnamese with the Nu Html Checker (npm vnu-jar, run by java) and wants
// no error; warnings are logged. The checker refuses localhost URLs, so
// the pages are fetched here and handed to it as files, all in one run
// (one JVM start instead of one per page).
func TestHTMLNuChecker(t *testing.T) {
	t.Parallel()
	jar := nodeModule(t, "vnu-jar/build/dist/vnu.jar")
	java := lookPath(t, "java", "install a Java runtime (Debian: openjdk-17-jre-headless; .ci/run does)")

	app := testapp.New(t, testapp.Options{})
	srv := httptest.NewServer(app.Handler)
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	pathOf := map[string]string{} // file name → page address
	var files []string
	for _, path := range servedQualityPages(t, srv.URL) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		name := pageName(path) + ".html"
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, body, 0o644); err != nil {
			t.Fatal(err)
		}
		pathOf[name] = path
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatal("no page to check")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"-jar", jar, "--format", "json", "--stdout", "--exit-zero-always"}, files...)
	cmd := exec.CommandContext(ctx, java, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("java -jar %s: %v\n%s", jar, err, stderr.String())
	}
	var res struct {
		Messages []nuMessage `json:"messages"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("decoding the Nu Html Checker's output: %v\n%s", err, out)
	}
	t.Logf("Nu Html Checker: %d pages, %d messages, in %v", len(files), len(res.Messages), time.Since(start).Round(time.Millisecond))

	errs := map[string]int{}
	for _, m := range res.Messages {
		page := pathOf[filepath.Base(m.URL)]
		if page == "" {
			page = m.URL
		}
		where := fmt.Sprintf("%s:%d:%d", page, m.LastLine, m.FirstCol)
		msg := fmt.Sprintf("%s: %s\n  %s", where, m.Message, strings.ReplaceAll(m.Extract, "\n", "⏎"))
		if m.Type == "info" {
			t.Logf("Nu Html Checker %s: %s", m.SubType, msg)
			continue
		}
		errs[page]++
		t.Errorf("Nu Html Checker %s: %s", m.Type, msg)
	}
	for _, f := range files {
		page := pathOf[filepath.Base(f)]
		t.Logf("%s: %d errors", page, errs[page])
	}
}
