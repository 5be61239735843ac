// Package dashboard is the HTTP side of twinmetrics: routes, handlers,
// page rendering and the charts.
package dashboard

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// Config is what the server needs from main.
type Config struct {
	Store  *metrics.Store
	Logger *slog.Logger
	// Uploads receives, checks and publishes staff uploads.
	Uploads *metrics.Uploader
	// Templates and Assets are the embedded files, or the source folders
	// in development (then templates are parsed again on every request).
	Templates fs.FS
	Assets    fs.FS
	Dev       bool
	// Now is the clock; tests fix it.
	Now func() time.Time
	// TrustProxy takes the client's address from X-Forwarded-For, for a
	// server behind a reverse proxy; otherwise it is the connection's.
	TrustProxy bool
}

// Server holds what the handlers need.
type Server struct {
	store   *metrics.Store
	uploads *metrics.Uploader
	log     *slog.Logger
	pages   *pageSet
	assets  *assetSet
	now     func() time.Time
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
	if cfg.Uploads == nil {
		return nil, errors.New("dashboard: Config.Uploads is required")
	}
	s := &Server{store: cfg.Store, uploads: cfg.Uploads, log: cfg.Logger, assets: assets, now: cfg.Now}
	if s.pages, err = newPageSet(cfg.Templates, assets, cfg.Dev); err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	// Sign-in failures are counted per client address: take it from the
	// connection, not from headers a client can forge, unless a proxy
	// that sets them is in front.
	e.IPExtractor = echo.ExtractIPDirect()
	if cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	e.Use(middleware.RequestID())
	e.Use(middleware.Recover())
	e.Use(s.logRequests)
	e.Use(s.securityHeaders)
	e.Use(s.loadSession)
	s.routes(e)
	return e, nil
}

// routes lists every route, grouped by who may call it.
func (s *Server) routes(e *echo.Echo) {
	// Public pages.
	e.GET("/", s.showOverview)
	e.GET("/pairs/:slug", s.showPair)
	e.GET("/cities/:slug", s.showCity)
	e.GET("/indicators", s.listIndicators)
	e.GET("/indicators/:code", s.showIndicator)
	e.GET("/about", s.showAbout)

	// Signing in and out.
	e.GET("/login", s.showLogin)
	e.POST("/login", s.submitLogin)

	// Staff: editors and admins, signed in; every POST checks the CSRF
	// token.
	staff := e.Group("/admin", s.requireStaff)
	staff.GET("", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/admin/uploads") })
	staff.POST("/logout", s.logout)
	staff.GET("/password", s.showPassword)
	staff.POST("/password", s.changePassword)
	staff.GET("/uploads", s.listUploads)
	staff.POST("/uploads", s.receiveUpload)
	staff.GET("/uploads/template.csv", s.downloadTemplateCSV)
	staff.GET("/uploads/template.xlsx", s.downloadTemplateXLSX)
	staff.GET("/uploads/:id", s.showUpload)
	staff.GET("/uploads/:id/progress", s.showProgress)
	staff.GET("/uploads/:id/values.csv", s.downloadUploadValues)
	staff.POST("/uploads/:id/publish", s.publishUpload)
	staff.POST("/uploads/:id/rollback", s.rollbackUpload)
	staff.POST("/uploads/:id/discard", s.discardUpload)
	staff.POST("/uploads/:id/check", s.recheckUpload)

	// Admins only: accounts and the catalogue. (Route middleware rather
	// than a group, so that unknown /admin paths stay 404 for editors.)
	admin := s.requireAdmin
	staff.GET("/users", s.listUsers, admin)
	staff.POST("/users", s.addUser, admin)
	staff.POST("/tokens", s.createToken, admin)
	staff.POST("/tokens/:id/revoke", s.revokeToken, admin)
	staff.GET("/catalogue", s.showCatalogue, admin)
	staff.POST("/catalogue/cities", s.saveCity, admin)
	staff.POST("/catalogue/pairs", s.savePair, admin)
	staff.POST("/catalogue/indicators", s.saveIndicator, admin)
	staff.POST("/catalogue/sources", s.saveSource, admin)

	// API for scripts: a bearer token (or the page's session with the
	// CSRF header).
	api := e.Group("/api/v1/uploads", s.requireAPIUser)
	api.POST("", s.apiCreateUpload)
	api.GET("/:id", s.apiShowUpload)
	api.POST("/:id/publish", s.apiPublishUpload)
	api.POST("/:id/rollback", s.apiRollbackUpload)

	// Machine endpoints.
	e.GET("/healthz", s.healthz)
	e.GET("/assets/*", s.assets.serve)
}

// securityHeaders forbid inline scripts and framing: nothing from an
// upload can run in a reader's browser even if it slipped past escaping.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		if strings.HasPrefix(c.Request().URL.Path, "/admin") || c.Request().URL.Path == "/login" {
			h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		return next(c)
	}
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
	// Messages of HTTP errors are written for the reader; others are not
	// shown.
	msg := ""
	if he != nil && code < 500 {
		if m, ok := he.Message.(string); ok {
			msg = m
		}
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		if msg == "" {
			msg = http.StatusText(code)
		}
		_ = c.JSON(code, map[string]any{"error": msg, "status": code})
		return
	}
	v := s.view(c, "error")
	v.Status = code
	v.Title = http.StatusText(code)
	v.Data = msg
	if rerr := s.render(c, code, "error", v); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		_ = c.String(code, http.StatusText(code))
	}
}
