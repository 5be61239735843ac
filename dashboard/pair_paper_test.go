package dashboard_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// TestPairPaperSaysEachWarningOnce: on paper Adelaide–Manchester's
// scorecard names each warning by its kind and the number of its note,
// and the notes give each warning in full once: the boundary warning
// of Greater Manchester, which applies to several rows, is written out
// once. Its totals whose per-capita rows are printed are left to the
// page, and the printed note says how many; the totals without a
// per-capita row stay.
func TestPairPaperSaysEachWarningOnce(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/en/pairs/adelaide-manchester")

	m := regexp.MustCompile(`(?s)<div class="print-only paper-warnings">.*?<ol>(.*?)</ol>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no notes of the warnings for paper")
	}
	var notes []string
	for _, li := range regexp.MustCompile(`(?s)<li>(.*?)</li>`).FindAllStringSubmatch(m[1], -1) {
		notes = append(notes, text(li[1]))
	}
	seen := map[string]bool{}
	boundary := 0
	for _, n := range notes {
		if seen[n] {
			t.Errorf("the note %q is given twice", n)
		}
		seen[n] = true
		if strings.HasPrefix(n, "different boundaries: Adelaide") && strings.Contains(n, "Greater Manchester") {
			boundary++
		}
	}
	if boundary != 1 {
		t.Errorf("the boundary warning of Greater Manchester is given %d times among the notes, want once: %q", boundary, notes)
	}

	// Each row names its warnings by kind and note, and the note says
	// what the row's full warning says.
	rows := 0
	for _, code := range []string{"ghg_per_capita", "ghg_scope1_per_capita", "ghg_scope2_per_capita"} {
		gap := cells(t, body, `<tr data-indicator="`+code+`">`)[3]
		raw := body[strings.Index(body, `<tr data-indicator="`+code+`">`):]
		raw = raw[:strings.Index(raw, "</tr>")]
		refs := regexp.MustCompile(`<span class="warn warn-full">(.*?)</span><span class="warn warn-noted">(.*?)&nbsp;<span class="note-ref">(\d+)</span>`).FindAllStringSubmatch(raw, -1)
		if len(refs) == 0 {
			t.Errorf("%s: no warning named by its note on paper: %q", code, gap)
		}
		for _, r := range refs {
			n, _ := strconv.Atoi(r[3])
			if n < 1 || n > len(notes) {
				t.Errorf("%s: note %d of %d", code, n, len(notes))
				continue
			}
			if full := text(r[1]); notes[n-1] != full || !strings.HasPrefix(full, r[2]+":") {
				t.Errorf("%s: the warning %q is named %q, note %d, which reads %q", code, full, r[2], n, notes[n-1])
			}
			rows++
		}
	}
	if rows < 6 {
		t.Errorf("%d warnings named on the per-capita rows, want their years and boundaries", rows)
	}

	for code, off := range map[string]bool{"ghg_total_reported": true, "ghg_scope1": true, "ghg_scope2": true,
		"population": false, "ghg_per_capita": false} {
		i := strings.Index(body, `<tr data-indicator="`+code+`">`)
		if i < 0 {
			t.Errorf("no row of %s", code)
			continue
		}
		th := body[i : i+strings.Index(body[i:], ">\n")+200]
		if got := strings.Contains(th[:strings.Index(th, "<a ")], `class="off-paper"`); got != off {
			t.Errorf("%s: left to the page on paper is %v, want %v", code, got, off)
		}
	}
	if !strings.Contains(text(body), "Of the indicators both sides report, 3 totals are on the page only: paper compares them per person.") {
		t.Errorf("the printed note does not say that 3 totals are left to the page")
	}
}

// TestSideValuesJoinWithoutStraySpace: on paper the cities of a side
// that have no value share one line, joined by "; " after the value
// before them: a value's cell ends where its text does, so the line
// reads "… Glasgow; no data for Dundee", not "Glasgow ; …".
func TestSideValuesJoinWithoutStraySpace(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/en/pairs/suwon-scottish-cities-alliance")
	joined := regexp.MustCompile(`</div><div><span class="missing">`).FindAllStringIndex(body, -1)
	if len(joined) == 0 {
		t.Fatal("no side with a city that has no value on the page")
	}
	if stray := regexp.MustCompile(`\s</div><div><span class="missing">`).FindAllString(body, -1); len(stray) > 0 {
		t.Errorf("%d values end with white space before a city with no value, which prints as a space before the \"; \"", len(stray))
	}
}
