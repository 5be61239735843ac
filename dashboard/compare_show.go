package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// comparePicker is the form that chooses two areas to compare.
type comparePicker struct {
	Areas    []pickerOption
	A, B     string
	Median   string
	MinYears int
	// Bounded is set when the catalogue holds too many areas to list:
	// Areas then holds the programme's, the chosen and those matching
	// Find, Listed of Total.
	Bounded       bool
	Listed, Total int
	Find          string
}

type pickerOption struct {
	Slug  string
	Label string
}

// newComparePicker lists the cities and linked areas of the catalogue
// by name, each with its country; in a catalogue of thousands of areas,
// those the download centre lists (dataAreas): the programme's, the
// chosen two and those matching find.
func newComparePicker(loc Locale, cat *metrics.Catalogue, a, b, find string) *comparePicker {
	p := &comparePicker{A: a, B: b, Median: metrics.MedianSlug, Find: find}
	areas, bounded := dataAreas(cat, map[string]bool{a: a != "", b: b != ""}, find)
	for _, ar := range areas {
		if ar.Kind == metrics.KindCountry {
			continue
		}
		p.Areas = append(p.Areas, pickerOption{Slug: ar.Slug, Label: pickerLabel(loc, cat, ar)})
	}
	if bounded {
		p.Bounded, p.Listed = true, len(p.Areas)
		for _, ar := range cat.Areas {
			if ar.Kind != metrics.KindCountry {
				p.Total++
			}
		}
	}
	sort.SliceStable(p.Areas, func(i, j int) bool { return p.Areas[i].Label < p.Areas[j].Label })
	return p
}

// comparePage is a pair page for two areas the reader chose.
type comparePage struct {
	*pairPage
	Picker *comparePicker
	Min    int
}

// showCompare compares any two areas of the catalogue, or an area and
// the programme median, on the page a programme pair has; without both
// areas it shows the form that chooses them.
func (s *Server) showCompare(c echo.Context) error {
	ctx, cat, err := s.catalogue(c)
	if err != nil {
		return err
	}
	a, b := c.QueryParam("a"), c.QueryParam("b")
	v := s.view(c, "compare")
	picker := newComparePicker(v.Loc, cat, a, b, strings.TrimSpace(c.QueryParam("find")))
	if a == "" || b == "" {
		v.Title = v.Loc.T("compare.title")
		v.Data = &comparePage{Picker: picker, Min: metrics.MinMedianCities}
		return s.render(c, http.StatusOK, "compare", v)
	}
	cmp, err := s.store.CompareAreas(ctx, cat, a, b)
	if errors.Is(err, metrics.ErrSameArea) {
		return c.Redirect(http.StatusSeeOther, v.Loc.Href("/cities/")+url.PathEscape(a))
	}
	if err != nil {
		return err
	}
	// The chosen pair comes first in the catalogue the page is drawn
	// from, so that its two sides take the two sides' colours even when
	// both cities stand on the same side of their programme pairs.
	drawn := *cat
	drawn.Pairs = append([]*metrics.Pair{cmp.Pair}, cat.Pairs...)
	cmp.Catalogue = &drawn
	// Ranks place the cities among the programme's cities, whichever
	// two are compared.
	page, _, err := s.rankedPairPage(c, v.Loc, cat, &drawn, cmp)
	if err != nil {
		return err
	}
	q := url.Values{"a": {a}, "b": {b}}
	for i := range page.Tabs {
		q.Set("theme", page.Tabs[i].Theme)
		page.Tabs[i].Link = "?" + q.Encode() + "#trends"
	}
	if err := s.pairPaper(c, v, &drawn, page); err != nil {
		return err
	}
	v.Title = page.Title
	v.Download = compareDownload(v.Loc, &drawn, cmp.Pair)
	v.Data = &comparePage{pairPage: page, Picker: picker, Min: metrics.MinMedianCities}
	return s.render(c, http.StatusOK, "pair", v)
}

// compareDownload offers the values of the two areas and of the areas
// linked to them; the programme median is computed, not stored, and is
// not among them.
func compareDownload(loc Locale, cat *metrics.Catalogue, p *metrics.Pair) *downloadLinks {
	var slugs []string
	for _, a := range p.Cities() {
		if a.IsMedian() {
			continue
		}
		slugs = append(slugs, a.Slug)
		for _, ch := range cat.Children(a.ID) {
			slugs = append(slugs, ch.Slug)
		}
	}
	return newDownloadLinks(loc, "download.what_compare", url.Values{"city": {strings.Join(slugs, ",")}, "shown": {"1"}})
}

// pickerLabel names an area with its country, which tells apart two
// places of one name.
func pickerLabel(loc Locale, cat *metrics.Catalogue, a *metrics.Area) string {
	if ctry := cat.Country(a.CountryISO3); ctry != nil {
		return loc.AreaName(a) + " (" + loc.AreaName(ctry) + ")"
	}
	return loc.AreaName(a)
}
