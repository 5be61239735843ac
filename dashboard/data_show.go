package dashboard

import (
	"net/http"

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
	page := &dataPage{From: q.Get("from"), To: q.Get("to"), Shown: q.Get("shown") == "1" || q.Get("shown") == "true"}
	for _, p := range cat.Pairs {
		page.Pairs = append(page.Pairs, choice{p.Slug, loc.PairTitle(p), pairs[p.Slug]})
	}
	groups := map[string]*areaGroup{}
	for _, a := range cat.Areas {
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
	if p := checkParams(q, selectionParams, []string{"v"}); p != nil {
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
