package dashboard

import (
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// creditCharts writes each chart's credit: the footer its slide image
// carries (charts.js), so that a picture pasted into a presentation
// still names where its values come from and under what terms. Lines:
// the sources with their licences (a source whose terms withhold
// redistribution says so, with the publisher's address), the reference
// lines' sources, the years drawn, the flags shown, and the data version
// with the address of the chart on its page. The text is plain: the
// template escapes it into an attribute, and ECharts draws it as text.
func creditCharts(loc Locale, cat *metrics.Catalogue, version int64, page string, charts ...*Chart) {
	for _, ch := range charts {
		if ch == nil {
			continue
		}
		var lines, srcs []string
		for _, id := range ch.sources {
			src := cat.Source(id)
			if src == nil {
				continue
			}
			name := src.ShortTitle
			if name == "" {
				name = src.Title
			}
			if src.Withheld() {
				srcs = append(srcs, loc.T("chart.credit_withheld", "Source", name, "Publisher", src.Publisher, "Licence", src.Licence, "URL", src.URL))
			} else {
				srcs = append(srcs, loc.T("chart.credit_source", "Source", name, "Publisher", src.Publisher, "Licence", src.Licence))
			}
		}
		srcs = append(srcs, ch.refSources...)
		if len(srcs) > 0 {
			lines = append(lines, loc.T("chart.credit_sources", "List", strings.Join(srcs, "; ")))
		}
		if y := yearSpan(ch.years); y != "" {
			lines = append(lines, loc.T("chart.credit_years", "Years", y))
		}
		if len(ch.flags) > 0 {
			lines = append(lines, loc.T("chart.credit_flags", "List", strings.Join(ch.flags, ", ")))
		}
		lines = append(lines, loc.T("chart.credit_version", "Version", version, "Address", page+"#fig-"+ch.ID))
		ch.Credit = strings.Join(lines, "\n")
	}
}

// creditPage credits the charts of the page v is about, with the data
// version the page shows and its address (citedVersion).
func (s *Server) creditPage(c echo.Context, v *View, cat *metrics.Catalogue, charts ...*Chart) error {
	dv, address, err := s.citedVersion(c, v)
	if err != nil {
		return err
	}
	creditCharts(v.Loc, cat, dv, address, charts...)
	return nil
}

// yearSpan names the years a chart draws: "2019", "2015–2021", or,
// for bars of different years, the years listed.
func yearSpan(years []int) string {
	if len(years) == 0 {
		return ""
	}
	lo, hi := years[0], years[0]
	distinct := map[int]bool{}
	for _, y := range years {
		lo, hi = min(lo, y), max(hi, y)
		distinct[y] = true
	}
	switch {
	case lo == hi:
		return strconv.Itoa(lo)
	case len(years) == len(distinct) && hi-lo+1 == len(distinct) || len(distinct) > 3:
		return strconv.Itoa(lo) + "–" + strconv.Itoa(hi)
	}
	var out []string
	for y := lo; y <= hi; y++ {
		if distinct[y] {
			out = append(out, strconv.Itoa(y))
		}
	}
	return strings.Join(out, ", ")
}

// sourceList lists sources with absolute addresses, in the order given,
// each once: the publisher's address and the source's entry on /about
// (its licence and citation). A printout cannot follow a relative link.
type sourceList struct {
	origin string
	loc    Locale
	cat    *metrics.Catalogue
	seen   map[int64]int // the index in list of each source listed
	byCode map[string]*metrics.Source
	list   []briefSource
}

func newSourceList(origin string, loc Locale, cat *metrics.Catalogue) *sourceList {
	return &sourceList{origin: origin, loc: loc, cat: cat, seen: map[int64]int{}}
}

// add lists the sources with these ids.
func (l *sourceList) add(ids ...int64) {
	for _, id := range ids {
		if _, ok := l.seen[id]; ok {
			continue
		}
		if src := l.cat.Source(id); src != nil {
			l.seen[id] = len(l.list)
			l.list = append(l.list, briefSource{Title: src.Title, URL: src.URL, Licence: src.Licence,
				Terms: src.Terms, About: l.origin + l.loc.Href("/about") + "#source-" + src.Code})
		}
	}
}

// onPaper lists the sources with these ids and marks them as sources
// of what a printout keeps.
func (l *sourceList) onPaper(ids ...int64) {
	l.add(ids...)
	for _, id := range ids {
		if i, ok := l.seen[id]; ok {
			l.list[i].Paper = true
		}
	}
}

// addCode lists the source with this code and returns its id, 0 if
// the catalogue has none.
func (l *sourceList) addCode(code string) int64 {
	if code == "" {
		return 0
	}
	if l.byCode == nil {
		l.byCode = map[string]*metrics.Source{}
		for _, s := range l.cat.Sources {
			l.byCode[s.Code] = s
		}
	}
	if src := l.byCode[code]; src != nil {
		l.add(src.ID)
		return src.ID
	}
	return 0
}
