package dashboard_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/synth"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// TestIndicatorPageRanksProgrammeCitiesAndPagesTheRest: with 60
// synthetic cities loaded through the upload pipeline, the indicator
// page ranks the programme's areas and links to the full ranking, which
// shows every area with a value, 50 a page, ranks running on across
// pages in the order of the values; the catalogue counts them all.
func TestIndicatorPageRanksProgrammeCitiesAndPagesTheRest(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	n, err := synth.Load(ctx, app.Store, app.Uploads, synth.Options{Cities: 60, Years: 1, LastYear: 2020, CitiesPerFile: 30, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if n < 60*40 {
		t.Fatalf("only %d synthetic values loaded", n)
	}
	row := regexp.MustCompile(`<tr data-area="([a-z0-9-]+)"><td class="num"[^>]*>(\d+)</td>`)
	ranking := func(path string) (areas []string, ranks []int, body string) {
		t.Helper()
		code, body, _ := get(t, app.Handler, path)
		if code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		for _, m := range row.FindAllStringSubmatch(body, -1) {
			r, _ := strconv.Atoi(m[2])
			areas, ranks = append(areas, m[1]), append(ranks, r)
		}
		return areas, ranks, body
	}

	areas, _, body := ranking("/indicators/pm25_annual_mean")
	if !strings.Contains(strings.Join(areas, " "), "hanoi") || !strings.Contains(strings.Join(areas, " "), "milan") {
		t.Errorf("the programme ranking lacks Hanoi or Milan: %v", areas)
	}
	for _, a := range areas {
		if strings.HasPrefix(a, synth.SlugPrefix) {
			t.Errorf("the default ranking shows %s, which is in no pair", a)
		}
	}
	if !strings.Contains(body, `?ranking=all#ranking`) {
		t.Error("no link to the full ranking")
	}
	programme := len(areas)

	p1, r1, body1 := ranking("/indicators/pm25_annual_mean?ranking=all")
	p2, r2, body2 := ranking("/indicators/pm25_annual_mean?ranking=all&page=2")
	if len(p1) != 50 || r1[0] != 1 || r1[49] != 50 {
		t.Fatalf("page 1 of the full ranking: %d rows, ranks %v", len(p1), r1)
	}
	total := programme + 60
	if len(p2) != total-50 || r2[0] != 51 {
		t.Errorf("page 2: %d rows from rank %v, want %d from 51", len(p2), r2, total-50)
	}
	if !strings.Contains(body1, "Areas 1–50 of "+strconv.Itoa(total)) || !strings.Contains(body2, `rel="prev"`) {
		t.Errorf("the pager does not say which areas a page shows")
	}
	seen := map[string]bool{}
	for _, a := range append(p1, p2...) {
		if seen[a] {
			t.Errorf("%s is on both pages", a)
		}
		seen[a] = true
	}
	for i := 1; i <= 60; i++ {
		if !seen[synth.Slug(i)] {
			t.Errorf("%s is missing from the full ranking", synth.Slug(i))
		}
	}
	// Lower is better for PM2.5: the values rise down the ranking.
	val := regexp.MustCompile(`<tr data-area="[a-z0-9-]+"><td class="num"[^>]*>\d+</td><th scope="row">.*?</th><td class="num"[^>]*>.*?([0-9][0-9,.]*)`)
	var last float64
	for i, m := range val.FindAllStringSubmatch(body1+body2, -1) {
		v, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		if err != nil {
			continue
		}
		if i > 0 && v < last {
			t.Errorf("row %d: %v after %v, the ranking is not in order", i+1, v, last)
		}
		last = v
	}
	if code, _, _ := get(t, app.Handler, "/indicators/pm25_annual_mean?ranking=all&page=9"); code != 404 {
		t.Errorf("a page past the end: %d, want 404", code)
	}

	// The catalogue counts every area with a value.
	_, cat, _ := get(t, app.Handler, "/indicators")
	m := regexp.MustCompile(`<td[^>]*><code>pm25_annual_mean</code></td>(?:\s*<td[^>]*>[^<]*</td>){3}\s*<td class="num"[^>]*>(\d+)</td>`).FindStringSubmatch(cat)
	if m == nil || m[1] != strconv.Itoa(total) {
		t.Errorf("/indicators counts %v areas for PM2.5, want %d", m, total)
	}
}
