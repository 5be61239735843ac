package dashboard

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// selectionParams are the filters the download centre, the download
// endpoint and the observations API share.
var selectionParams = []string{"city", "pair", "indicator", "theme", "source", "from", "to", "shown"}

// codes splits every value of a comma-separated list parameter.
func codes(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, c := range strings.Split(v, ",") {
			if c = strings.TrimSpace(c); c != "" {
				out = append(out, c)
			}
		}
	}
	return out
}

// checkParams rejects parameters the endpoint does not know, so that a
// misspelt filter is not silently ignored.
func checkParams(q url.Values, allowed ...[]string) *Problem {
	known := map[string]bool{}
	for _, a := range allowed {
		for _, n := range a {
			known[n] = true
		}
	}
	var names []string
	for n := range q {
		if !known[n] {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	var all []string
	for n := range known {
		all = append(all, n)
	}
	sort.Strings(all)
	var p *Problem
	if len(all) == 0 {
		p = badParam(names[0], reasonNoParams.With())
	} else {
		p = badParam(names[0], reasonUnknownKnown.With(strings.Join(all, ", ")))
	}
	for _, n := range names[1:] {
		p.InvalidParams = append(p.InvalidParams, invalidParam(n, reasonUnknownParam.With()))
	}
	return p
}

// parseSelection turns the filter parameters into a selection. Cities
// and pairs add up (a pair stands for its cities, their linked areas and
// their countries, as its page shows them); so do indicators and themes.
func parseSelection(cat *metrics.Catalogue, q url.Values) (metrics.Selection, *Problem) {
	var sel metrics.Selection
	var p *Problem
	// fail records a bad parameter.
	fail := func(name string, reason locale.Message) {
		if p == nil {
			p = badParam(name, reason)
		} else {
			p.InvalidParams = append(p.InvalidParams, invalidParam(name, reason))
		}
	}
	// each looks up every code of a list parameter; an unknown one is a
	// bad parameter.
	each := func(name string, unknown locale.Key, use func(code string) error) {
		for _, c := range codes(q, name) {
			if err := use(c); err != nil {
				fail(name, unknown.With(c))
			}
		}
	}
	areaSeen := map[int64]bool{}
	addArea := func(a *metrics.Area) {
		if !areaSeen[a.ID] {
			areaSeen[a.ID] = true
			sel.Areas = append(sel.Areas, a.ID)
		}
	}
	indSeen := map[int64]bool{}
	addInd := func(i *metrics.Indicator) {
		if !indSeen[i.ID] {
			indSeen[i.ID] = true
			sel.Indicators = append(sel.Indicators, i.ID)
		}
	}
	each("city", reasonUnknownCity, func(c string) error {
		a, err := cat.Area(c)
		if err == nil {
			addArea(a)
		}
		return err
	})
	each("pair", reasonUnknownPair, func(c string) error {
		pr, err := cat.Pair(c)
		if err == nil {
			for _, a := range cat.PairAreas(pr) {
				addArea(a)
			}
		}
		return err
	})
	each("indicator", reasonUnknownInd, func(c string) error {
		ind, err := cat.Indicator(c)
		if err == nil {
			addInd(ind)
		}
		return err
	})
	for _, c := range codes(q, "theme") {
		if !validTheme(c) {
			fail("theme", reasonUnknownTheme.With(c, strings.Join(metrics.Themes, ", ")))
			continue
		}
		for _, ind := range cat.ThemeIndicators(c) {
			addInd(ind)
		}
		if sel.Indicators == nil {
			sel.Indicators = []int64{} // a theme with no indicators selects nothing
		}
	}
	each("source", reasonUnknownSource, func(c string) error {
		src, err := cat.SourceByCode(c)
		if err == nil {
			sel.Sources = append(sel.Sources, src.ID)
		}
		return err
	})
	year := func(name string) int {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return 0
		}
		y, err := strconv.Atoi(v)
		if err != nil || y < 1900 || y > 2100 {
			fail(name, reasonYear.With(v))
			return 0
		}
		return y
	}
	sel.From, sel.To = year("from"), year("to")
	switch v := strings.TrimSpace(q.Get("shown")); v {
	case "", "0", "false":
	case "1", "true":
		sel.Shown = true
	default:
		fail("shown", reasonShown.With(v))
	}
	if sel.From != 0 && sel.To != 0 && sel.From > sel.To {
		fail("from", reasonEmptyRange.With(sel.From, sel.To))
		fail("to", reasonEmptyRange.With(sel.From, sel.To))
	}
	return sel, p
}

// selectionQuery is the canonical query string of the filter
// parameters: what a download link repeats and what caches key on.
func selectionQuery(q url.Values) url.Values {
	out := url.Values{}
	for _, n := range selectionParams {
		if cs := codes(q, n); len(cs) > 0 {
			out.Set(n, strings.Join(cs, ","))
		}
	}
	return out
}
