package dashboard_test

import (
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// widerThanScreen names the elements of the page that reach beyond the
// screen's sides, as a reader would have to scroll sideways to see
// them; what a closed <details> holds is not shown until opened.
func (tab *browserTab) widerThanScreen() []string {
	tab.env.t.Helper()
	var wide []string
	if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll('body *')).filter(el => {
		if (el.closest('details:not([open]) > :not(summary)')) return false;
		const r = el.getBoundingClientRect();
		return r.width > 1 && (r.right > window.innerWidth + 0.5 || r.left < -0.5);
	}).map(el => el.tagName.toLowerCase() + (typeof el.className === 'string' && el.className ? '.' + el.className : '') +
		(el.id ? '#' + el.id : '') + ' ' + Math.round(el.getBoundingClientRect().left) + '–' + Math.round(el.getBoundingClientRect().right) + 'px')`, &wide)); err != nil {
		tab.env.t.Fatal(err)
	}
	return wide
}

// TestBrowserPhonePagesFit opens the public pages a reader reaches from
// the overview on a 375 px wide phone, in English and Vietnamese:
// nothing on them is wider than the screen, so nothing is off-screen to
// the side (the overview's pair tables are one card per pair there),
// and the page does not scroll sideways.
func TestBrowserPhonePagesFit(t *testing.T) {
	t.Parallel()
	env := newBrowserEnv(t)
	for _, lang := range []string{"en", "vi"} {
		for _, page := range []string{"/", "/indicators", "/indicators/pm25_annual_mean", "/cities/hanoi", "/compare?a=hanoi&b=ho-chi-minh-city"} {
			path := "/" + lang + page
			tab := env.open(path, emulation.SetDeviceMetricsOverride(375, 812, 2, true))
			wide := tab.widerThanScreen()
			for i, w := range wide {
				if i == 10 {
					t.Errorf("%s at 375 px: … %d more", path, len(wide)-10)
					break
				}
				t.Errorf("%s at 375 px: %s reaches beyond the screen", path, w)
			}
			var doc int
			if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`document.documentElement.scrollWidth`, &doc)); err != nil {
				t.Fatal(err)
			}
			if doc > 375 {
				t.Errorf("%s at 375 px: the page scrolls sideways (%d px wide)", path, doc)
			}
			tab.checkClean()
		}
	}
}

// TestBrowserPhoneScorecard opens pair pages on a 375 px wide phone: the
// scorecard is one card per indicator, both sides, the gap and the
// verdict within the screen, and no element is wider than it.
func TestBrowserPhoneScorecard(t *testing.T) {
	t.Parallel()
	env := newBrowserEnv(t)
	for _, path := range []string{"/en/pairs/hanoi-milan", "/vi/pairs/hanoi-milan", "/en/compare?a=hanoi&b=ho-chi-minh-city"} {
		tab := env.open(path, emulation.SetDeviceMetricsOverride(375, 812, 2, true))
		for _, w := range tab.widerThanScreen() {
			t.Errorf("%s at 375 px: %s reaches beyond the screen", path, w)
		}
		var scroll struct {
			Doc   int `json:"doc"`
			Cards int `json:"cards"`
			Cells int `json:"cells"`
		}
		if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`({
			doc: document.documentElement.scrollWidth,
			cards: Array.from(document.querySelectorAll('table.scorecard tbody tr')).filter(tr => getComputedStyle(tr).display === 'block').length,
			cells: Array.from(document.querySelectorAll('table.scorecard tbody td')).filter(td => { const r = td.getBoundingClientRect(); return r.width > 0 && r.right <= window.innerWidth; }).length,
		})`, &scroll)); err != nil {
			t.Fatal(err)
		}
		var rows int
		if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`document.querySelectorAll('table.scorecard tbody tr').length`, &rows)); err != nil {
			t.Fatal(err)
		}
		if scroll.Doc > 375 {
			t.Errorf("%s at 375 px: the page scrolls sideways (%d px wide)", path, scroll.Doc)
		}
		// In the cards, numbers read from the left, under their labels.
		var right []string
		if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll('table.scorecard td.num, table.lead-table td.num'))
			.filter(td => td.getClientRects().length > 0 && !['left', 'start'].includes(getComputedStyle(td).textAlign))
			.map(td => td.closest('table').className + ' ' + (td.dataset.label || '') + ': ' + getComputedStyle(td).textAlign)`, &right)); err != nil {
			t.Fatal(err)
		}
		for i, r := range right {
			if i == 5 {
				t.Errorf("%s at 375 px: … %d more numbers not left-aligned", path, len(right)-5)
				break
			}
			t.Errorf("%s at 375 px: a number in a card is not left-aligned (%s)", path, r)
		}
		var leadCells int
		if err := chromedp.Run(tab.ctx, chromedp.Evaluate(`document.querySelectorAll('table.lead-table td.num').length`, &leadCells)); err != nil {
			t.Fatal(err)
		}
		if leadCells == 0 && path != "/en/compare?a=hanoi&b=ho-chi-minh-city" {
			t.Errorf("%s at 375 px: no number in the coverage lead: the test reads nothing", path)
		}
		if rows == 0 || scroll.Cards != rows || scroll.Cells != 4*rows {
			t.Errorf("%s at 375 px: %d scorecard rows, %d drawn as cards, %d of %d cells within the screen", path, rows, scroll.Cards, scroll.Cells, 4*rows)
		}
		tab.checkClean()
	}
}
