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

// TestDataListsAreasBoundedBySearch: the download centre lists every
// area of the seed; with hundreds more (synthetic) areas it lists the
// programme's, the chosen ones and those a search by name finds, and
// says how many of how many it lists.
func TestDataListsAreasBoundedBySearch(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	option := regexp.MustCompile(`<option value="([a-z0-9-]+)"( selected)?>`)
	listed := func(path string) (map[string]bool, map[string]bool, string) {
		t.Helper()
		code, body, _ := get(t, app.Handler, path)
		if code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		start := strings.Index(body, `name="city"`)
		end := strings.Index(body, `name="indicator"`)
		if start < 0 || end < start {
			t.Fatalf("GET %s: no list of areas", path)
		}
		all, sel := map[string]bool{}, map[string]bool{}
		for _, m := range option.FindAllStringSubmatch(body[start:end], -1) {
			all[m[1]] = true
			sel[m[1]] = m[2] != ""
		}
		return all, sel, body
	}

	var seeded int
	if err := app.DB.R.QueryRow(`SELECT COUNT(*) FROM areas`).Scan(&seeded); err != nil {
		t.Fatal(err)
	}
	all, _, body := listed("/data")
	if len(all) != seeded || strings.Contains(body, `id="areas-bounded"`) || strings.Contains(body, `name="find"`) {
		t.Fatalf("the seed's /data lists %d areas of %d (or offers a search)", len(all), seeded)
	}

	const n = 320
	if _, err := synth.Load(context.Background(), app.Store, app.Uploads, synth.Options{Cities: n, Years: 1, LastYear: 2020, CitiesPerFile: n, Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	all, _, body = listed("/data")
	for _, c := range []string{"hanoi", "milan", "kosice", "ho-chi-minh-city"} {
		if !all[c] {
			t.Errorf("%s, a city of a pair, is not listed", c)
		}
	}
	for i := 1; i <= n; i++ {
		if all[synth.Slug(i)] {
			t.Errorf("%s is listed without being chosen or searched for", synth.Slug(i))
		}
	}
	if !strings.Contains(text(body), "of "+strconv.Itoa(seeded+n)+" areas are listed") {
		t.Errorf("the page does not say how many areas it lists: %.300s", text(body))
	}

	all, _, _ = listed("/data?find=" + strings.ReplaceAll("Synthetic city 00123", " ", "+"))
	if !all[synth.Slug(123)] || all[synth.Slug(124)] || !all["hanoi"] {
		t.Errorf("a search for Synthetic city 00123 lists %d areas, not it beside the programme's", len(all))
	}
	all, _, _ = listed("/data?find=synthetic")
	found := 0
	for c := range all {
		if strings.HasPrefix(c, synth.SlugPrefix) {
			found++
		}
	}
	if found == 0 || found > 100 {
		t.Errorf("a search that matches %d areas lists %d of them, want 1–100", n, found)
	}

	all, sel, body := listed("/data?city=" + synth.Slug(300))
	if !all[synth.Slug(300)] || !sel[synth.Slug(300)] {
		t.Errorf("the chosen %s is not listed as chosen", synth.Slug(300))
	}
	// The picker of two areas to compare, on the overview and on /compare,
	// lists the same: the programme's areas, the chosen ones, those found.
	picker := func(path string) map[string]bool {
		t.Helper()
		code, body, _ := get(t, app.Handler, path)
		if code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		start := strings.Index(body, `<select name="a">`)
		if start < 0 {
			t.Fatalf("GET %s: no picker", path)
		}
		end := start + strings.Index(body[start:], `</form>`)
		m := map[string]bool{}
		for _, o := range option.FindAllStringSubmatch(body[start:end], -1) {
			m[o[1]] = true
		}
		if !strings.Contains(body[end:], `name="find"`) {
			t.Errorf("GET %s: no search for other areas", path)
		}
		return m
	}
	for _, path := range []string{"/", "/compare"} {
		m := picker(path)
		if !m["hanoi"] || !m["milan"] || m[synth.Slug(1)] || m[synth.Slug(n)] {
			t.Errorf("%s: the picker lists %d areas (Hanoi %v, synthetic %v)", path, len(m), m["hanoi"], m[synth.Slug(1)])
		}
	}
	if m := picker("/compare?find=" + strings.ReplaceAll("Synthetic city 00123", " ", "+")); !m[synth.Slug(123)] || m[synth.Slug(124)] {
		t.Errorf("a search on /compare does not list Synthetic city 00123 alone")
	}
	if m := picker("/compare?a=hanoi&b=" + synth.Slug(200)); !m[synth.Slug(200)] {
		t.Errorf("the compared %s is not in the picker", synth.Slug(200))
	}

	var values int
	if err := app.DB.R.QueryRow(`SELECT COUNT(*) FROM observations o JOIN areas a ON a.id = o.area_id
		WHERE a.slug = ? AND o.retired_by IS NULL`, synth.Slug(300)).Scan(&values); err != nil {
		t.Fatal(err)
	}
	if values == 0 || !strings.Contains(body, `data-count="`+strconv.Itoa(values)+`"`) {
		t.Errorf("the chosen synthetic city has %d values; the page counts %s", values, regexp.MustCompile(`data-count="\d+"`).FindString(body))
	}
}
