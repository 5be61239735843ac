package dashboard

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// pageNames are the templates that are pages; each is parsed together
// with layout.html.
var pageNames = []string{"overview", "pair", "city", "indicators", "indicator", "about", "error",
	"login", "password", "uploads", "upload", "upload_record", "users", "catalogue"}

type pageSet struct {
	fsys   fs.FS
	assets *assetSet
	dev    bool
	mu     sync.Mutex
	pages  map[string]*template.Template
}

func newPageSet(fsys fs.FS, assets *assetSet, dev bool) (*pageSet, error) {
	ps := &pageSet{fsys: fsys, assets: assets, dev: dev}
	var err error
	ps.pages, err = ps.parse()
	return ps, err
}

func (ps *pageSet) parse() (map[string]*template.Template, error) {
	base, err := template.New("layout.html").Funcs(ps.funcs()).ParseFS(ps.fsys, "layout.html", "partials.html")
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
	return pages, nil
}

func (ps *pageSet) get(name string) (*template.Template, error) {
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
	t, ok := ps.pages[name]
	if !ok {
		return nil, fmt.Errorf("no page template %q", name)
	}
	return t, nil
}

func (ps *pageSet) funcs() template.FuncMap {
	return template.FuncMap{
		"asset": func(name string) (string, error) { return ps.assets.URL(name) },
		"num":   FormatNumber,
		"ratio": FormatRatio,
		"unit":  metrics.UnitLabel,
		"themeName": func(theme, lang string) string {
			return themeNames[theme]
		},
		"join": strings.Join,
		"add":  func(a, b int) int { return a + b },
		"sub":  func(a, b int) int { return a - b },
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
		"json": func(v any) (template.JS, error) {
			b, err := json.Marshal(v)
			return template.JS(b), err
		},
	}
}

// themeNames are the themes as readers see them.
var themeNames = map[string]string{
	"energy":      "Energy",
	"climate":     "Climate",
	"air":         "Air quality",
	"transport":   "Transport",
	"waste":       "Waste",
	"green_space": "Green space",
	"context":     "Context",
}

// View is what every page gets: the page's own data plus what the
// layout needs.
type View struct {
	Page        string
	Title       string
	Lang        string
	Status      int
	Path        string
	DataVersion int64
	Data        any
	// User is the signed-in staff member (nil for readers); CSRF is the
	// token every changing form carries.
	User *metrics.User
	CSRF string
}

func (s *Server) view(c echo.Context, page string) *View {
	v := &View{Page: page, Lang: "en", Path: c.Request().URL.Path, Status: http.StatusOK}
	if sess := session(c); sess != nil {
		v.User, v.CSRF = &sess.User, sess.CSRF
	}
	return v
}

// render executes a page into a buffer first, so that a template error
// never sends half a page.
func (s *Server) render(c echo.Context, code int, page string, v *View) error {
	t, err := s.pages.get(page)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", v); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	return c.HTMLBlob(code, buf.Bytes())
}
