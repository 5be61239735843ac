package dashboard_test

import (
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// TestPairBrief: the handout of Hanoi–Milan carries the values both
// sides report with their years, the gap and verdict, each source with
// its absolute address, the data version and the page's address.
func TestPairBrief(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	code, body, _ := get(t, app.Handler, "/pairs/hanoi-milan/brief")
	if code != 200 {
		t.Fatalf("/pairs/hanoi-milan/brief: %d", code)
	}
	pm := ""
	for _, tr := range strings.Split(body, "<tr>") {
		if strings.Contains(tr, "PM2.5 annual mean") {
			pm = text(tr)
			break
		}
	}
	for _, want := range []string{"52.09 (2019)", "20.87 (2019)", "2.5×", "Milan"} {
		if !strings.Contains(pm, want) {
			t.Errorf("PM2.5 row %q lacks %q", pm, want)
		}
	}
	tx := text(body)
	for _, want := range []string{"Data version 1", "http://127.0.0.1:8080/en/pairs/hanoi-milan",
		"https://www.who.int/data/gho/data/themes/air-pollution/who-air-quality-database",
		"http://127.0.0.1:8080/en/about#source-who_aaq_2022_v2022"} {
		if !strings.Contains(tx, want) {
			t.Errorf("the brief lacks %q", want)
		}
	}
	if code, _, _ := get(t, app.Handler, "/pairs/nowhere/brief"); code != 404 {
		t.Errorf("/pairs/nowhere/brief: %d, want 404", code)
	}
	_, page, _ := get(t, app.Handler, "/pairs/hanoi-milan")
	if !strings.Contains(page, `href="/en/pairs/hanoi-milan/brief"`) {
		t.Errorf("the pair page does not link to its brief")
	}
}
