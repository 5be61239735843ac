package dashboard_test

import (
	"html"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// TestIndicatorPageShowsValuesWithoutAYear: Hanoi's 1.8 m² and Milan's
// 18.2 and 17.8 m² of green area per person have no year in their
// sources; the indicator page lists them as such instead of saying that
// no area reports the indicator.
func TestIndicatorPageShowsValuesWithoutAYear(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/indicators/green_area_per_capita")
	page := html.UnescapeString(body)
	if strings.Contains(page, "No area reports this indicator yet") {
		t.Error("the page says no area reports green area per inhabitant")
	}
	item := func(attr string) string {
		i := strings.Index(body, attr)
		if i < 0 {
			t.Fatalf("no item %s on the page", attr)
		}
		return text(body[i : i+strings.Index(body[i:], "</li>")])
	}
	undated := item(`<li data-area="hanoi">`)
	if !strings.Contains(undated, "1.8") || !strings.Contains(undated, "year not given") || !strings.Contains(undated, "Partial area") {
		t.Errorf("Hanoi's undated value: %q", undated)
	}
	milan := item(`<li data-area="milan">`)
	if !strings.Contains(milan, "18.2") && !strings.Contains(milan, "17.8") {
		t.Errorf("Milan's undated values: %q", milan)
	}
	if strings.Count(page, `<li data-area="milan">`) != 2 {
		t.Errorf("Milan has two values without a year (18.2 and 17.8); the page lists %d", strings.Count(page, `<li data-area="milan">`))
	}
}
