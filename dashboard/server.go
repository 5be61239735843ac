// Package dashboard is the HTTP side of twinmetrics: routes, handlers,
// page rendering and the charts.
package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// Config is what the server needs from main.
type Config struct {
	Store  *metrics.Store
	Logger *slog.Logger
	// Templates and Assets are the embedded files, or the source folders
	// in development (then templates are parsed again on every request).
	Templates fs.FS
	Assets    fs.FS
	// Locales are the message files (nil: the embedded ones).
	Locales fs.FS
	Dev     bool
	// BaseURL is the public address readers reach the app at, without a
	// trailing slash ("https://twinmetrics.example"); default
	// http://127.0.0.1:8080.
	BaseURL string
	// Now is the clock; tests fix it.
	Now func() time.Time
}

// Server holds what the handlers need.
type Server struct {
	store   *metrics.Store
	log     *slog.Logger
	pages   *pageSet
	assets  *assetSet
	tr      *translator
	baseURL string
	tel     *telemetry
	cache   *pageCache
	now     func() time.Time
	gzip    *gzipCache
	// openapi is the API's OpenAPI document, served as it is embedded.
	openapi []byte
}

// New builds the HTTP handler. Templates and assets are loaded here, so a
// broken template or a missing asset stops the start, not a reader's visit.
func New(cfg Config) (*echo.Echo, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	assets, err := loadAssets(cfg.Assets)
	if err != nil {
		return nil, err
	}
	if cfg.Locales == nil {
		cfg.Locales = LocaleFS()
	}
	tr, err := newTranslator(cfg.Locales)
	if err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://127.0.0.1:8080"
	}
	s := &Server{store: cfg.Store, log: cfg.Logger, assets: assets, tr: tr, baseURL: strings.TrimSuffix(cfg.BaseURL, "/"), now: cfg.Now,
		gzip: newGzipCache(4<<20, 32<<20), openapi: openAPIDocument}
	if s.pages, err = newPageSet(cfg.Templates, assets, tr, cfg.Dev); err != nil {
		return nil, err
	}
	s.tel = newTelemetry(cfg.Store)
	s.cache = newPageCache(32 << 20)
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.Pre(s.chooseLanguage)
	e.Use(secureHeaders)
	e.Use(middleware.RequestID())
	e.Use(middleware.Recover())
	e.Use(s.tel.observe)
	e.Use(s.logRequests)
	s.routes(e)
	return e, nil
}

// routes lists every route, grouped by who may call it.
func (s *Server) routes(e *echo.Echo) {
	// Public pages, served from the page cache (compressed once).
	e.GET("/", s.cached(s.showOverview))
	e.GET("/pairs/:slug", s.cached(s.showPair))
	e.GET("/cities/:slug", s.cached(s.showCity))
	e.GET("/indicators", s.cached(s.listIndicators))
	e.GET("/indicators/:code", s.cached(s.showIndicator))
	e.GET("/about", s.cached(s.showAbout))
	e.GET("/data", s.showData, s.compress)
	e.GET("/data/download", s.downloadData, s.compress)

	// The JSON API, described by its OpenAPI document.
	api := e.Group("/api/v1", s.compress)
	api.GET("", s.showAPIIndex)
	api.GET("/openapi.json", s.showOpenAPI)
	api.GET("/cities", s.listCitiesAPI)
	api.GET("/pairs", s.listPairsAPI)
	api.GET("/indicators", s.listIndicatorsAPI)
	api.GET("/sources", s.listSourcesAPI)
	api.GET("/flags", s.listFlagsAPI)
	api.GET("/observations", s.listObservationsAPI)
	api.Any("/*", func(c echo.Context) error {
		return &Problem{Type: problemNotFound, Title: "Not found", Status: http.StatusNotFound,
			Detail: "No such API endpoint; the OpenAPI document at /api/v1/openapi.json lists them."}
	})

	// Machine endpoints.
	e.GET("/healthz", s.healthz)
	e.GET("/metrics", s.tel.handler())
	e.GET("/assets/*", s.assets.serve)
}

func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		req := c.Request()
		s.log.LogAttrs(req.Context(), slog.LevelInfo, "request",
			slog.Group("request",
				slog.String("id", c.Response().Header().Get(echo.HeaderXRequestID)),
				slog.String("method", req.Method),
				slog.String("path", req.URL.Path),
				slog.Int("status", c.Response().Status),
				slog.Duration("duration", time.Since(start)),
			))
		return nil
	}
}

// healthz answers 200 when the database answers.
func (s *Server) healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.DB().Ping(ctx); err != nil {
		s.log.Error("health check", "err", err)
		return c.String(http.StatusServiceUnavailable, "database unavailable\n")
	}
	return c.String(http.StatusOK, "ok\n")
}

// handleError renders every error as a page (or plain text for machine
// endpoints). Unexpected errors are logged; readers see nothing of them.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		if !errors.Is(err, context.Canceled) && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
			s.log.Error("response failed after it started", "path", c.Request().URL.Path, "err", err)
		}
		return
	}
	var prob *Problem
	if errors.As(err, &prob) {
		if werr := writeProblem(c, prob); werr != nil {
			s.log.Error("write problem", "err", werr)
		}
		return
	}
	code := http.StatusInternalServerError
	var he *echo.HTTPError
	switch {
	case errors.Is(err, metrics.ErrNotFound):
		code = http.StatusNotFound
	case errors.As(err, &he):
		code = he.Code
	}
	if code >= 500 {
		s.log.Error("request failed", "path", c.Request().URL.Path, "err", err)
	}
	if isMachinePath(c.Request().URL.Path) {
		p := &Problem{Type: "about:blank", Title: http.StatusText(code), Status: code}
		if code == http.StatusNotFound {
			p.Type, p.Detail = problemNotFound, "Nothing is stored under this address."
		}
		if werr := writeProblem(c, p); werr != nil {
			s.log.Error("write problem", "err", werr)
		}
		return
	}
	v := s.view(c, "error")
	v.Status = code
	v.Title = v.Loc.T(fmt.Sprintf("error.%d.title", code))
	if v.Title == fmt.Sprintf("error.%d.title", code) {
		v.Title = http.StatusText(code)
	}
	if rerr := s.render(c, code, "error", v); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		_ = c.String(code, http.StatusText(code))
	}
}
