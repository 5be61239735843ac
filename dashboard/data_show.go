package dashboard

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// dataPage is the download centre: the filters, how many values they
// select, and the download links.
type dataPage struct {
	Pairs      []choice
	Cities     []areaGroup
	Themes     []choice
	Indicators []choice
	Sources    []sourceChoice
	From, To   string
	Shown      bool
	Problem    *Problem
	Invalid    []InvalidParam // Problem's parameters, reasons in the reader's language
	Count      int
	Withheld   []*metrics.Source
	Download   *downloadLinks
	Filtered   bool
	// AreasBounded is set when the catalogue holds too many areas to
	// list: Cities then holds the programme's, the chosen and those
	// matching Find, AreasListed of AreasTotal.
	AreasBounded            bool
	AreasListed, AreasTotal int
	Find                    string
}

// A national deployment holds thousands of areas: past dataAreaList the
// download centre lists the programme's areas, the chosen ones and at
// most dataAreaFound that match a search, not every area.
const (
	dataAreaList  = 300
	dataAreaFound = 100
)

// dataAreas are the areas the download centre lists, and whether that
// is fewer than all.
func dataAreas(cat *metrics.Catalogue, chosen map[string]bool, find string) ([]*metrics.Area, bool) {
	if len(cat.Areas) <= dataAreaList {
		return cat.Areas, false
	}
	keep := map[int64]bool{}
	for _, a := range programmeAreas(cat) {
		keep[a.ID] = true
	}
	f, found := metrics.Fold(find), 0
	var out []*metrics.Area
	for _, a := range cat.Areas {
		switch {
		case keep[a.ID] || chosen[a.Slug]:
		case f != "" && found < dataAreaFound && (strings.Contains(metrics.Fold(a.Name), f) || strings.Contains(metrics.Fold(a.Slug), f) ||
			(a.LocalName != "" && strings.Contains(metrics.Fold(a.LocalName), f))):
			found++
		default:
			continue
		}
		out = append(out, a)
	}
	return out, true
}

type choice struct {
	Code, Name string
	Checked    bool
}

type areaGroup struct {
	Kind    string
	Choices []choice
}

type sourceChoice struct {
	choice
	Source *metrics.Source
}

// showData is the download centre.
func (s *Server) showData(c echo.Context) error {
	ctx, cat, err := s.catalogue(c)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	picked := func(name string) map[string]bool {
		m := map[string]bool{}
		for _, v := range codes(q, name) {
			m[v] = true
		}
		return m
	}
	pairs, cities, themes, inds, srcs := picked("pair"), picked("city"), picked("theme"), picked("indicator"), picked("source")
	loc := s.locale(c)
	page := &dataPage{From: q.Get("from"), To: q.Get("to"), Shown: q.Get("shown") == "1" || q.Get("shown") == "true", Find: strings.TrimSpace(q.Get("find"))}
	areas, bounded := dataAreas(cat, cities, page.Find)
	page.AreasBounded, page.AreasListed, page.AreasTotal = bounded, len(areas), len(cat.Areas)
	for _, p := range cat.Pairs {
		page.Pairs = append(page.Pairs, choice{p.Slug, loc.PairTitle(p), pairs[p.Slug]})
	}
	groups := map[string]*areaGroup{}
	for _, a := range areas {
		g := groups[a.Kind]
		if g == nil {
			page.Cities = append(page.Cities, areaGroup{Kind: a.Kind})
			g = &page.Cities[len(page.Cities)-1]
			groups[a.Kind] = g
		}
		g.Choices = append(g.Choices, choice{a.Slug, loc.AreaName(a), cities[a.Slug]})
	}
	// groups point into page.Cities, which may have moved while growing.
	for i := range page.Cities {
		groups[page.Cities[i].Kind] = &page.Cities[i]
	}
	for _, t := range metrics.Themes {
		page.Themes = append(page.Themes, choice{t, loc.Theme(t), themes[t]})
	}
	for _, i := range cat.Indicators {
		page.Indicators = append(page.Indicators, choice{i.Code, loc.IndicatorName(i) + " (" + loc.Theme(i.Theme) + ")", inds[i.Code]})
	}
	for _, src := range cat.Sources {
		page.Sources = append(page.Sources, sourceChoice{choice{src.Code, src.Title, srcs[src.Code]}, src})
		if src.Withheld() {
			page.Withheld = append(page.Withheld, src)
		}
	}
	v := s.view(c, "data")
	v.Title = v.Loc.T("data.title")
	v.Data = page
	status := http.StatusOK
	if p := checkParams(q, selectionParams, []string{"find", "v"}); p != nil {
		page.Problem, status = p, http.StatusBadRequest
	} else if sel, p := parseSelection(cat, q); p != nil {
		page.Problem, status = p, http.StatusBadRequest
	} else {
		if page.Count, err = s.store.CountSelection(ctx, sel); err != nil {
			return err
		}
		sq := selectionQuery(q)
		page.Filtered = len(sq) > 0
		page.Download = newDownloadLinks(loc, "download.what_selection", sq)
	}
	if page.Problem != nil {
		for _, ip := range page.Problem.InvalidParams {
			page.Invalid = append(page.Invalid, InvalidParam{Name: ip.Name, Reason: loc.Say(ip.Message)})
		}
	}
	return s.render(c, status, "data", v)
}
