package dashboard_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// TestOverviewFiguresArePairPageFigures: each pair's headline
// comparison on the overview shows the values, years, sources and gap
// of the same indicator's row on the pair's own page.
func TestOverviewFiguresArePairPageFigures(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	for _, lang := range []string{"en", "vi"} {
		_, body, _ := get(t, app.Handler, "/"+lang+"/")
		rowRe := regexp.MustCompile(`(?s)<tr>\s*<th scope="row"><a href="/` + lang + `/pairs/([a-z-]+)">.*?</tr>`)
		cellRe := regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
		indRe := regexp.MustCompile(`href="/` + lang + `/indicators/([a-z0-9_]+)"`)
		compared := 0
		for _, m := range rowRe.FindAllStringSubmatch(body, -1) {
			slug, tr := m[1], m[0]
			cs := cellRe.FindAllStringSubmatch(tr, -1)
			if len(cs) < 6 {
				continue // no comparison: "no common indicator"
			}
			ind := indRe.FindStringSubmatch(cs[1][1])
			if ind == nil {
				t.Fatalf("%s: the headline cell names no indicator: %s", slug, cs[1][1])
			}
			_, page, _ := get(t, app.Handler, "/"+lang+"/pairs/"+slug)
			i := strings.Index(page, `<tr data-indicator="`+ind[1]+`">`)
			if i < 0 {
				t.Errorf("%s: the overview compares %s, the pair page has no row for it", slug, ind[1])
				continue
			}
			pr := page[i : i+strings.Index(page[i:], "</tr>")]
			pcs := cellRe.FindAllStringSubmatch(pr, -1)
			for side := range 2 {
				ov, pg := tidy(text(cs[2+side][1])), tidy(text(pcs[side][1]))
				// The overview names each city before its value; a side of
				// one city on the pair page has the value alone.
				if ov != pg && !strings.HasSuffix(ov, ": "+pg) {
					t.Errorf("%s %s, side %d:\noverview  %q\npair page %q", lang, slug, side+1, ov, pg)
				}
			}
			gap := func(cell string) string { return tidy(text(strings.SplitN(cell, "<br>", 2)[0])) }
			if og, pg := gap(cs[4][1]), gap(pcs[2][1]); og != pg {
				t.Errorf("%s %s, gap: overview %q, pair page %q", lang, slug, og, pg)
			}
			compared++
		}
		if compared < 5 {
			t.Errorf("%s: only %d pairs compared on the overview", lang, compared)
		}
	}
}
