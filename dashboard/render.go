package dashboard

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// pageNames are the templates that are pages; each is parsed together
// with layout.html, partials.html, downloads.html and commitments.html,
// once per language.
var pageNames = []string{"overview", "pair", "city", "indicators", "indicator", "about", "data", "error",
	"login", "password", "uploads", "upload", "upload_record", "users", "catalogue", "upload_map", "import_profiles", "import_profile", "compare", "brief", "embed"}

type pageSet struct {
	fsys   fs.FS
	assets *assetSet
	tr     *locale.Catalogue
	dev    bool
	mu     sync.Mutex
	pages  map[string]map[string]*template.Template // lang → page → template
}

func newPageSet(fsys fs.FS, assets *assetSet, tr *locale.Catalogue, dev bool) (*pageSet, error) {
	ps := &pageSet{fsys: fsys, assets: assets, tr: tr, dev: dev}
	var err error
	ps.pages, err = ps.parse()
	return ps, err
}

func (ps *pageSet) parse() (map[string]map[string]*template.Template, error) {
	out := make(map[string]map[string]*template.Template, len(Languages))
	for _, lang := range Languages {
		loc := Locale{Lang: lang, tr: ps.tr}
		base, err := template.New("layout.html").Funcs(ps.funcs(loc)).ParseFS(ps.fsys, "layout.html", "partials.html", "downloads.html", "commitments.html")
		if err != nil {
			return nil, fmt.Errorf("parse templates: %w", err)
		}
		pages := make(map[string]*template.Template, len(pageNames))
		for _, name := range pageNames {
			t, err := base.Clone()
			if err != nil {
				return nil, err
			}
			if _, err := t.ParseFS(ps.fsys, name+".html"); err != nil {
				return nil, fmt.Errorf("parse template %s: %w", name, err)
			}
			pages[name] = t
		}
		out[lang] = pages
	}
	return out, nil
}

func (ps *pageSet) get(lang, name string) (*template.Template, error) {
	if ps.dev {
		pages, err := ps.parse()
		if err != nil {
			return nil, err
		}
		ps.mu.Lock()
		ps.pages = pages
		ps.mu.Unlock()
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	t, ok := ps.pages[lang][name]
	if !ok {
		return nil, fmt.Errorf("no page template %q in %q", name, lang)
	}
	return t, nil
}

// funcs are the template functions, bound to one language.
func (ps *pageSet) funcs(loc Locale) template.FuncMap {
	return template.FuncMap{
		"asset":       func(name string) (string, error) { return ps.assets.URL(name) },
		"t":           loc.T,
		"num":         loc.Num,
		"href":        loc.Href,
		"unit":        loc.Unit,
		"theme":       loc.Theme,
		"direction":   loc.Direction,
		"areaName":    func(a metrics.Area) string { return loc.AreaName(&a) },
		"indName":     func(i metrics.Indicator) string { return loc.IndicatorName(&i) },
		"undatedArgs": func(v undatedValue, unit string) undatedArgs { return undatedArgs{V: v, Unit: unit} },
		"indDef":      func(i metrics.Indicator) string { return loc.IndicatorDefinition(&i) },
		"flagName":    func(f metrics.Flag) string { return loc.FlagName(&f) },
		"flagDesc":    func(f metrics.Flag) string { return loc.FlagDescription(&f) },
		"pairTitle":   func(p metrics.Pair) string { return loc.PairTitle(&p) },
		"sideLabel":   loc.SideLabel,
		"confidence":  loc.Confidence,
		"country":     loc.Country,
		"kind":        func(k string) string { return loc.T("kind." + k) },
		"langs":       func() []string { return Languages },
		"langName":    func(l string) string { return languageNames[l] },
		"join":        strings.Join,
		"slug":        metrics.Slugify,
		"countf":      func(n int) float64 { return float64(n) },
		"sub":         func(a, b int) int { return a - b },
		"add":         func(a, b int) int { return a + b },
		"fnum": func(p *float64) string {
			if p == nil {
				return ""
			}
			return metrics.FormatPlain(*p)
		},
		"nfloat": func(v sql.NullFloat64) string {
			if !v.Valid {
				return ""
			}
			return metrics.FormatPlain(v.Float64)
		},
		"pathEscape": url.PathEscape,
		"list":       func(xs ...string) []string { return xs },
		"deref": func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		},
		// The staff pages: messages, the upload check's states.
		"say":    loc.Say,
		"ustate": loc.UploadState,
		"where":  loc.Where,
		"num64":  func(v int64) string { return loc.Num(float64(v)) },
	}
}

// catalogue is what most pages start from: the request's context and
// the catalogue.
func (s *Server) catalogue(c echo.Context) (context.Context, *metrics.Catalogue, error) {
	ctx := c.Request().Context()
	cat, err := s.store.Catalogue(ctx)
	return ctx, cat, err
}

// catalogueEntry is catalogue and the entry of it that the address's
// parameter param names, looked up with find ((*metrics.Catalogue).Area,
// (*metrics.Catalogue).Indicator): an unknown one is not found.
func catalogueEntry[T any](s *Server, c echo.Context, param string, find func(*metrics.Catalogue, string) (T, error)) (context.Context, *metrics.Catalogue, T, error) {
	ctx, cat, err := s.catalogue(c)
	if err != nil {
		var none T
		return ctx, nil, none, err
	}
	e, err := find(cat, c.Param(param))
	return ctx, cat, e, err
}

// catalogueOfAll is catalogue for a page that counts over every area and
// indicator: a new value anywhere changes it.
func (s *Server) catalogueOfAll(c echo.Context) (context.Context, *metrics.Catalogue, error) {
	dependOn(c).all = true
	return s.catalogue(c)
}

// versionedView is the view of a page that names the data version it
// shows, with that version: the pinned one on a pinned page.
func (s *Server) versionedView(c echo.Context, page string) (*View, int64, error) {
	dv, err := s.shownVersion(c)
	if err != nil {
		return nil, 0, err
	}
	return s.view(c, page), dv, nil
}

// pager is the previous and next links of a paged list, and what it
// says of where the reader is.
type pager struct {
	Prev, Next string // addresses; empty on the first and the last page
	Label      string
}

// pageLinks are the links of page (from 1) of pages, nil when there is
// one page or none: query is the address up to the page number
// ("?ranking=all&page="), fragment what follows it ("#ranking").
func pageLinks(page, pages int, query, fragment, label string) *pager {
	if pages <= 1 {
		return nil
	}
	p := &pager{Label: label}
	if page > 1 {
		p.Prev = query + strconv.Itoa(page-1) + fragment
	}
	if page < pages {
		p.Next = query + strconv.Itoa(page+1) + fragment
	}
	return p
}

// View is what every page gets: the page's own data plus what the
// layout needs.
type View struct {
	Page   string
	Title  string
	Lang   string
	Loc    Locale
	Status int
	// Path is the address without its language prefix, with its query,
	// for the language switch.
	Path string
	// Origin is the public base address ("https://twinmetrics.example"):
	// hreflang alternates must be absolute URLs. It comes from the
	// settings, never from the request's Host header, which a client
	// controls.
	Origin string
	Data   any
	// Download, when set, offers the data behind the page in each format.
	Download *downloadLinks
	// User is the signed-in staff member (nil for readers); CSRF is the
	// token every changing form carries.
	User *metrics.User
	CSRF string
	// Pin is the data version the page shows, the link to this view at
	// it, and for an older or unkept version what the reader should know.
	Pin *pinView
}

// pinnablePages are the pages whose figures ?v= can pin.
var pinnablePages = map[string]bool{"overview": true, "pair": true, "city": true, "indicators": true, "indicator": true,
	"about": true, "data": true, "compare": true, "brief": true}

func (s *Server) view(c echo.Context, page string) *View {
	loc := s.locale(c)
	path := c.Request().URL.Path
	if q := c.Request().URL.RawQuery; q != "" {
		path += "?" + q
	}
	v := &View{Page: page, Lang: loc.Lang, Loc: loc, Path: path, Origin: s.baseURL, Status: http.StatusOK}
	if sess := session(c); sess != nil {
		v.User, v.CSRF = &sess.User, sess.CSRF
	}
	return v
}

// render executes a page into a buffer first, so that a template error
// never sends half a page.
func (s *Server) render(c echo.Context, code int, page string, v *View) error {
	return s.renderBlock(c, code, page, "layout.html", v)
}

// renderBlock answers one block of a page's templates, executed into a
// buffer first like render: the page in its layout, or a part that
// stands alone (an embed, a fragment a script puts in place).
func (s *Server) renderBlock(c echo.Context, code int, page, block string, v *View) error {
	t, err := s.pages.get(v.Lang, page)
	if err != nil {
		return err
	}
	if v.Pin == nil && code == http.StatusOK && pinnablePages[page] {
		// After the handler, which recorded what the page is built from.
		v.Pin = s.pinView(c, v.Loc)
		if v.Pin != nil {
			pinCharts(pinOf(c), v.Pin, pageCharts(v.Data))
		}
	}
	if p := pinOf(c); p != nil && p.Kept && v.Download != nil {
		v.Download.at(p.Version)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, v); err != nil {
		return fmt.Errorf("render %s (%s): %w", page, block, err)
	}
	c.Response().Header().Set("Content-Language", v.Lang)
	return c.HTMLBlob(code, buf.Bytes())
}
