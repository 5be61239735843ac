package dashboard

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// embedPolicy is the app's content security policy with framing allowed
// from any site: for the embed routes alone, every other page keeps
// frame-ancestors 'none'.
var embedPolicy = strings.Replace(contentSecurityPolicy, "frame-ancestors 'none'", "frame-ancestors *", 1)

// framable lets any site frame the answer.
func framable(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", embedPolicy)
		h.Del("X-Frame-Options")
		return next(c)
	}
}

// embedPage is one chart of a pair, to be framed in another site.
type embedPage struct {
	Chart     *Chart
	Pair      string
	Permalink string
	Sources   []briefSource
	Version   int64
}

// showEmbed draws one indicator's trend chart of a pair, with its table
// alternative and attribution: the sources and their licences, the data
// version and the page it comes from.
func (s *Server) showEmbed(c echo.Context) error {
	cat, cmp, err := s.comparedPair(c)
	if err != nil {
		return err
	}
	ind, err := cat.Indicator(c.Param("indicator"))
	if err != nil {
		return err
	}
	v, dv, err := s.versionedView(c, "embed")
	if err != nil {
		return err
	}
	charts, err := themeCharts(v.Loc, cat, cmp, ind.Theme)
	if err != nil {
		return err
	}
	p := &embedPage{Pair: v.Loc.PairTitle(cmp.Pair), Version: dv,
		Permalink: s.baseURL + v.Loc.Href(withVersion("/pairs/"+cmp.Pair.Slug, url.Values{"theme": {ind.Theme}}, dv)) + "#fig-" + lineChartID(cmp.Pair, ind)}
	for _, ch := range charts {
		if ch.ID == lineChartID(cmp.Pair, ind) {
			p.Chart = ch
		}
	}
	if p.Chart != nil {
		p.Chart.DataCSV = s.baseURL + chartDataCSV(cat, cmp.Pair, ind) + "&v=" + strconv.FormatInt(dv, 10)
	}
	if p.Chart == nil {
		return fmt.Errorf("no chart of %s for %s: %w", ind.Code, cmp.Pair.Slug, metrics.ErrNotFound)
	}
	creditCharts(v.Loc, cat, dv, p.Permalink[:strings.IndexByte(p.Permalink, '#')], p.Chart)
	sources := newSourceList(s.baseURL, v.Loc, cat)
	for _, city := range cmp.Pair.Cities() {
		for _, pt := range cmp.Data.Series(city.ID, ind.ID) {
			if id := pt.Obs.SourceID; id.Valid {
				sources.add(id.Int64)
			}
		}
	}
	p.Sources = sources.list
	v.Title = p.Chart.Title
	v.Data = p
	return s.renderBlock(c, http.StatusOK, "embed", "embed-page", v)
}

// lineChartID is the id of an indicator's trend chart on a pair page.
func lineChartID(p *metrics.Pair, ind *metrics.Indicator) string {
	return chartID("line", p.Slug, ind.Code)
}

// embedSnippet is the <iframe> another site pastes to show a chart.
func embedSnippet(origin string, loc Locale, p *metrics.Pair, ind *metrics.Indicator, title string) string {
	src := origin + loc.Href("/embed/pairs/"+p.Slug+"/"+ind.Code)
	return `<iframe src="` + template.HTMLEscapeString(src) + `" title="` + template.HTMLEscapeString(title) +
		`" width="640" height="520" style="border:0" loading="lazy"></iframe>`
}

// addEmbedSnippets gives each trend chart of a pair page the <iframe>
// that shows it on another site and the link to its data.
func addEmbedSnippets(origin string, loc Locale, cat *metrics.Catalogue, p *metrics.Pair, theme string, charts []*Chart) {
	for _, ind := range cat.ThemeIndicators(theme) {
		id := lineChartID(p, ind)
		for _, ch := range charts {
			if ch.ID == id {
				ch.Embed = embedSnippet(origin, loc, p, ind, ch.Title)
				ch.DataCSV = chartDataCSV(cat, p, ind)
			}
		}
	}
}

// chartDataCSV is the download of the values one trend chart of a pair
// draws: the pair's areas' values of its indicator and of the national
// context series drawn beside it.
func chartDataCSV(cat *metrics.Catalogue, p *metrics.Pair, ind *metrics.Indicator) string {
	codes := []string{ind.Code}
	for _, c := range cat.ContextFor(ind.ID) {
		codes = append(codes, c.Code)
	}
	return "/data/download?" + url.Values{"format": {"csv"}, "pair": {p.Slug}, "indicator": {strings.Join(codes, ",")}, "shown": {"1"}}.Encode()
}
