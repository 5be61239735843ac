// Package dashboard is the HTTP side of twinmetrics: routes, handlers,
// page rendering and the charts.
package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"golang.org/x/time/rate"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// Config is what the server needs from main.
type Config struct {
	Store  *metrics.Store
	Logger *slog.Logger
	// Uploads receives, checks and publishes staff uploads.
	Uploads *ingest.Uploader
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
	// UploadsPerMinute is how many files one client address may send a
	// minute (default 20).
	UploadsPerMinute int
	// Now is the clock; tests fix it.
	Now func() time.Time
	// TrustedProxies are the reverse proxies in front of the server
	// (ParseProxies): a client's address is the right-most address in
	// X-Forwarded-For that is not one of them, when the connection
	// comes from one of them; otherwise it is the connection's.
	TrustedProxies []*net.IPNet
}

// ParseProxies reads a comma-separated list of addresses and CIDR
// ranges ("10.0.0.5,192.168.1.0/24", "::1").
func ParseProxies(list string) ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			ip := net.ParseIP(f)
			if ip == nil {
				return nil, fmt.Errorf("proxy %q is neither an address nor a CIDR range", f)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			nets = append(nets, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, fmt.Errorf("proxy %q is neither an address nor a CIDR range", f)
		}
		nets = append(nets, n)
	}
	if len(nets) == 0 {
		return nil, errors.New("no proxy address given")
	}
	return nets, nil
}

// clientIPExtractor takes the client's address from the connection, or,
// behind the given proxies, from the right-most X-Forwarded-For hop that
// is not one of them: no address is trusted for being private or
// loopback, so a client cannot forge one by naming a private address.
func clientIPExtractor(proxies []*net.IPNet) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range proxies {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// Server holds what the handlers need.
type Server struct {
	store   *metrics.Store
	uploads *ingest.Uploader
	// uploadRate is the per-address upload rate, per minute.
	uploadRate int
	log        *slog.Logger
	pages      *pageSet
	assets     *assetSet
	tr         *locale.Catalogue
	baseURL    string
	tel        *telemetry
	cache      *respCache
	now        func() time.Time
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
	if cfg.Uploads == nil {
		return nil, errors.New("dashboard: Config.Uploads is required")
	}
	if cfg.Locales == nil {
		cfg.Locales = locale.Files()
	}
	tr, err := locale.Load(cfg.Locales)
	if err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://127.0.0.1:8080"
	}
	s := &Server{store: cfg.Store, uploads: cfg.Uploads, log: cfg.Logger, assets: assets, tr: tr, baseURL: strings.TrimSuffix(cfg.BaseURL, "/"), now: cfg.Now,
		openapi: openAPIDocument}
	if s.pages, err = newPageSet(cfg.Templates, assets, tr, cfg.Dev); err != nil {
		return nil, err
	}
	s.uploadRate = cfg.UploadsPerMinute
	if s.uploadRate <= 0 {
		s.uploadRate = 20
	}
	s.cache = newRespCache(32 << 20)
	s.tel = newTelemetry(cfg.Store, s.cache)
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	// Sign-in failures are counted per client address: take it from the
	// connection, not from headers a client can forge, unless a proxy
	// that sets them is in front.
	e.IPExtractor = clientIPExtractor(cfg.TrustedProxies)
	e.Pre(canonicalSlash)
	e.Pre(publicCORS)
	e.Pre(s.chooseLanguage)
	e.Use(headLength)
	e.Use(secureHeaders)
	e.Use(middleware.RequestID())
	e.Use(middleware.Recover())
	e.Use(s.tel.observe)
	e.Use(s.logRequests)
	// Forms and API calls are small; the upload routes take files and
	// set their own limit (the upload size limit).
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: "1M",
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return c.Request().Method == http.MethodPost && (p == "/admin/uploads" || p == "/api/v1/uploads")
		},
	}))
	// Browsers say where a request comes from: a change asked for by
	// another site is refused before the session and its CSRF token are
	// even looked at.
	cop := http.NewCrossOriginProtection()
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := cop.Check(c.Request()); err != nil {
				return errFormExpired
			}
			return next(c)
		}
	})
	e.Use(s.loadSession)
	// ?v=N pins the data version a page, a chart or a download shows.
	e.Use(s.pinVersion)
	s.routes(e)
	s.tel.knowRoutes(e)
	return e, nil
}

// readable registers a GET route and its HEAD twin: HEAD answers as GET
// does, without the body (RFC 9110 §9.3.2).
type router interface {
	Match(methods []string, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) []*echo.Route
}

func readable(r router, path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	r.Match([]string{http.MethodGet, http.MethodHead}, path, h, m...)
}

// routes lists every route, grouped by who may call it.
func (s *Server) routes(e *echo.Echo) {
	s.publicRoutes(e)
	uploadRate := s.uploadRateLimit()
	s.staffRoutes(e, uploadRate)
	s.scriptRoutes(e, uploadRate)
	// Machine endpoints.
	readable(e, "/healthz", s.healthz)
	readable(e, "/metrics", s.tel.handler())
	readable(e, "/assets/*", s.serveAsset)
}

// publicRoutes are the pages and the JSON API anyone may read.
func (s *Server) publicRoutes(e *echo.Echo) {
	// Public pages, served from the response cache.
	readable(e, "/", s.showOverview, s.cached(pageRule))
	readable(e, "/pairs/:slug", s.showPair, s.cached(pageRule))
	// A handout names the day its data version was made; the day it is
	// printed is the reader's browser's (paper.js).
	readable(e, "/pairs/:slug/brief", s.showPairBrief, s.cached(pageRule))
	// Framable from any site: one chart with its attribution.
	readable(e, "/embed/pairs/:slug/:indicator", s.showEmbed, framable, s.cached(pageRule))
	// The two areas are in the query.
	readable(e, "/compare", s.showCompare, s.cached(queryPage))
	readable(e, "/cities/:slug", s.showCity, s.cached(pageRule))
	readable(e, "/indicators", s.listIndicators, s.cached(pageRule))
	readable(e, "/indicators/:code", s.showIndicator, s.cached(pageRule))
	readable(e, "/about", s.showAbout, s.cached(pageRule))
	readable(e, "/data", s.showData, s.cached(queryPage))
	readable(e, "/data/download", s.downloadData, s.cached(dataRule))

	// The JSON API, described by its OpenAPI document; the same answer
	// for every reader of one data version.
	api := e.Group("/api/v1")
	readable(api, "", s.showAPIIndex, s.cached(dataRule))
	readable(api, "/openapi.json", s.showOpenAPI, s.cached(dataRule))
	readable(api, "/cities", s.listCitiesAPI, s.cached(dataRule))
	readable(api, "/pairs", s.listPairsAPI, s.cached(dataRule))
	readable(api, "/indicators", s.listIndicatorsAPI, s.cached(dataRule))
	readable(api, "/sources", s.listSourcesAPI, s.cached(dataRule))
	readable(api, "/flags", s.listFlagsAPI, s.cached(dataRule))
	readable(api, "/observations", s.listObservationsAPI, s.cached(negotiated))
	readable(api, "/targets", s.listTargetsAPI, s.cached(negotiated))
	readable(api, "/import-profiles/schema.json", s.showProfileSchema, s.cached(dataRule))
	// Unknown API paths are 404 and known ones asked with another method
	// 405 with Allow (echo's router), both as problem documents
	// (handleError).
}

// staffRoutes are signing in and out and the staff pages.
func (s *Server) staffRoutes(e *echo.Echo, uploadRate echo.MiddlewareFunc) {
	// Signing in and out (/logout as the URL map names it, beside
	// /admin/logout that the menu posts to; both need the CSRF token).
	readable(e, "/login", s.showLogin)
	e.POST("/login", s.submitLogin)
	e.POST("/logout", s.logout, s.requireStaff)

	// Staff: editors and admins, signed in; every POST checks the CSRF
	// token.
	staff := e.Group("/admin", s.requireStaff)
	readable(staff, "", func(c echo.Context) error { return c.Redirect(http.StatusSeeOther, "/admin/uploads") })
	staff.POST("/logout", s.logout)
	readable(staff, "/password", s.showPassword)
	staff.POST("/password", s.changePassword)
	readable(staff, "/uploads", s.listUploads)
	staff.POST("/uploads", s.receiveUpload, uploadRate, s.slowBody)
	readable(staff, "/uploads/template.csv", s.downloadTemplateCSV)
	readable(staff, "/uploads/template.xlsx", s.downloadTemplateXLSX)
	readable(staff, "/uploads/:id", s.showUpload)
	readable(staff, "/uploads/:id/progress", s.showProgress)
	readable(staff, "/uploads/:id/values.csv", s.downloadUploadValues)
	staff.POST("/uploads/:id/publish", s.publishUpload)
	staff.POST("/uploads/:id/rollback", s.rollbackUpload)
	staff.POST("/uploads/:id/discard", s.discardUpload)
	staff.POST("/uploads/:id/check", s.recheckUpload)
	staff.GET("/uploads/:id/map", s.showMapping)
	staff.POST("/uploads/:id/map", s.saveMapping)
	staff.POST("/uploads/:id/map/preview", s.previewMapping)
	staff.POST("/uploads/:id/aliases", s.acceptAliases, s.requireAdmin)
	staff.GET("/import-profiles", s.listProfiles)
	staff.GET("/import-profiles/:id", s.showProfile)
	staff.POST("/import-profiles/:id/approve", s.approveProfile, s.requireAdmin)
	staff.POST("/import-profiles/:id/retire", s.retireProfile, s.requireAdmin)
	staff.POST("/import-profiles/:id/revert", s.revertProfile, s.requireAdmin)

	// Admins only: accounts and the catalogue. (Route middleware rather
	// than a group, so that unknown /admin paths stay 404 for editors.)
	admin := s.requireAdmin
	readable(staff, "/users", s.listUsers, admin)
	staff.POST("/users", s.addUser, admin)
	staff.POST("/users/:id/disable", s.disableUser, admin)
	staff.POST("/users/:id/enable", s.enableUser, admin)
	staff.POST("/users/:id/logout", s.endUserSessions, admin)
	staff.POST("/tokens", s.createToken, admin)
	staff.POST("/tokens/:id/revoke", s.revokeToken, admin)
	readable(staff, "/catalogue", s.showCatalogue, admin)
	staff.POST("/catalogue/cities", s.saveCity, admin)
	staff.POST("/catalogue/pairs", s.savePair, admin)
	staff.POST("/catalogue/indicators", s.saveIndicator, admin)
	staff.POST("/catalogue/sources", s.saveSource, admin)
}

// scriptRoutes are the API's uploads and import profiles, for scripts
// with a bearer token.
func (s *Server) scriptRoutes(e *echo.Echo, uploadRate echo.MiddlewareFunc) {
	// API for scripts: a bearer token (or the page's session with the
	// CSRF header).
	uploadAPI := e.Group("/api/v1/uploads", s.requireAPIUser)
	uploadAPI.POST("", s.apiCreateUpload, uploadRate, s.slowBody)
	readable(uploadAPI, "/:id", s.apiShowUpload)
	uploadAPI.DELETE("/:id", s.apiDiscardUpload)
	uploadAPI.POST("/:id/discard", s.apiDiscardUpload)
	uploadAPI.POST("/:id/publish", s.apiPublishUpload)
	uploadAPI.POST("/:id/rollback", s.apiRollbackUpload)

	// Import profiles for scripts: editors propose, admins approve.
	profileAPI := e.Group("/api/v1/import-profiles", s.requireAPIUser)
	profileAPI.GET("", s.apiListProfiles)
	profileAPI.POST("", s.apiCreateProfile)
	profileAPI.GET("/:id", s.apiShowProfile)
	profileAPI.POST("/:id/approve", s.apiApproveProfile)
	profileAPI.POST("/:id/retire", s.apiRetireProfile)
	profileAPI.POST("/:id/revert", s.apiRevertProfile)
}

// uploadRateLimit limits receiving files, the costliest thing a client
// can ask for, to a few per minute per client address.
func (s *Server) uploadRateLimit() echo.MiddlewareFunc {
	var uploadLimits middleware.RateLimiterStore = middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
		Rate: rate.Limit(float64(s.uploadRate) / 60), Burst: s.uploadRate, ExpiresIn: 10 * time.Minute})
	if s.store.Shared() {
		// Instances share the count: a client cannot multiply its rate
		// by the number of instances behind the load balancer.
		uploadLimits = sharedLimit{store: s.store, key: "upload", n: s.uploadRate, window: time.Minute}
	}
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: uploadLimits,
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			// One more file is allowed every 60/rate seconds.
			c.Response().Header().Set("Retry-After", strconv.Itoa((60+s.uploadRate-1)/s.uploadRate))
			return echo.NewHTTPError(http.StatusTooManyRequests, msgUploadRate.With())
		},
	})
}

// whenAnswered runs next and answers its error there and then, so that
// the status is known, then tells done of the answer and how long it
// took.
func whenAnswered(next echo.HandlerFunc, done func(c echo.Context, took time.Duration)) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		done(c, time.Since(start))
		return nil
	}
}

func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return whenAnswered(next, func(c echo.Context, took time.Duration) {
		req := c.Request()
		s.log.LogAttrs(req.Context(), slog.LevelInfo, "request",
			slog.Group("request",
				slog.String("id", c.Response().Header().Get(echo.HeaderXRequestID)),
				slog.String("method", req.Method),
				slog.String("path", req.URL.Path),
				slog.Int("status", c.Response().Status),
				slog.Duration("duration", took),
			))
	})
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
			if errors.Is(err, errHeadDone) {
				return
			}
			s.log.Error("response failed after it started", "path", c.Request().URL.Path, "err", err)
		}
		return
	}
	var prob *Problem
	if errors.As(err, &prob) {
		if werr := writeProblem(c, s.baseURL, prob); werr != nil {
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
	// Messages of HTTP errors are written for the reader; others are not
	// shown.
	var msg locale.Message
	plain := "" // a message of echo's own ("Not Found")
	if he != nil && code < 500 {
		switch m := he.Message.(type) {
		case locale.Message:
			msg = m
		case *locale.Error:
			msg = m.Message
		case string:
			plain = m
		}
	}
	if isMachinePath(c.Request().URL.Path) {
		// A problem document (RFC 9457), as every API error.
		p := &Problem{Type: "about:blank", Title: http.StatusText(code), Status: code, Detail: plain}
		if !msg.IsZero() {
			p.Detail = locale.English(msg)
		}
		if code == http.StatusNotFound && p.Detail == "" {
			p.Type, p.Detail = problemNotFound, locale.English(msgNothingStored.With())
			if strings.HasPrefix(c.Request().URL.Path, "/api/") {
				p.Title, p.Detail = locale.English(titleNotFound.With()), locale.English(msgNoEndpoint.With())
			}
		}
		if code == http.StatusMethodNotAllowed {
			p.Detail = locale.English(msgMethodNotAllowed.With(c.Response().Header().Get("Allow")))
		}
		if werr := writeProblem(c, s.baseURL, p); werr != nil {
			s.log.Error("write problem", "err", werr)
		}
		return
	}
	v := s.view(c, "error")
	v.Status = code
	var ok bool
	if v.Title, ok = v.Loc.lookup(fmt.Sprintf("error.%d.title", code)); !ok {
		v.Title = http.StatusText(code)
	}
	v.Data = plain
	if !msg.IsZero() {
		v.Data = v.Loc.Say(msg)
	}
	if rerr := s.render(c, code, "error", v); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		_ = c.String(code, http.StatusText(code))
	}
}
