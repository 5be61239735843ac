package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// canonicalSlash sends a reader who added a trailing slash to the page's
// one address (308 keeps the method). "/vi/" is the Vietnamese overview
// and stays; an address starting with two slashes is never redirected
// (the Location would leave the site).
func canonicalSlash(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		p := req.URL.Path
		if len(p) > 1 && strings.HasSuffix(p, "/") && !strings.HasPrefix(p, "//") &&
			(req.Method == http.MethodGet || req.Method == http.MethodHead) {
			if l := strings.Trim(p, "/"); !validLang(l) {
				target := strings.TrimRight(p, "/")
				if target == "" {
					target = "/"
				}
				if req.URL.RawQuery != "" {
					target += "?" + req.URL.RawQuery
				}
				return c.Redirect(http.StatusPermanentRedirect, target)
			}
		}
		return next(c)
	}
}

// corsPublic reports whether a path is open to pages of other sites:
// the public API (its description included) and the downloads. Staff
// routes, the uploads API among them, never are.
func corsPublic(path string) bool {
	if strings.HasPrefix(path, "/api/v1/uploads") {
		return false
	}
	return path == "/api/v1" || strings.HasPrefix(path, "/api/v1/") || path == "/data/download"
}

// publicCORS lets a notebook or page on another site read the public
// API and the downloads: any origin, no credentials (cookies are never
// sent or honoured), GET, HEAD and the preflight OPTIONS.
func publicCORS(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if !corsPublic(req.URL.Path) {
			return next(c)
		}
		h := c.Response().Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Accept, Accept-Language, If-None-Match, If-Modified-Since, Range")
			h.Set("Access-Control-Max-Age", "86400")
			h.Set("Allow", "GET, HEAD, OPTIONS")
			return c.NoContent(http.StatusNoContent)
		}
		h.Set("Access-Control-Expose-Headers", "ETag, Last-Modified, Link, Content-Disposition, Content-Language, Retry-After")
		return next(c)
	}
}

// headLength gives a HEAD answer the Content-Length its GET twin gets
// when the handler does not set one: the body is counted, not sent (up
// to 64 KiB; past that the headers go out without a length, as a
// chunked GET has none).
func headLength(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Method != http.MethodHead {
			return next(c)
		}
		resp := c.Response()
		hw := &headWriter{ResponseWriter: resp.Writer}
		resp.Writer = hw
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		hw.finish()
		resp.Writer = hw.ResponseWriter
		return nil
	}
}

type headWriter struct {
	http.ResponseWriter
	status int
	n      int
	sent   bool
}

func (w *headWriter) WriteHeader(code int) {
	if w.sent {
		return
	}
	if code < 200 {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.status = code
}

func (w *headWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	if w.n > 64<<10 {
		w.send(false)
	}
	return len(p), nil
}

func (w *headWriter) send(withLength bool) {
	if w.sent || w.status == 0 {
		return
	}
	w.sent = true
	h := w.Header()
	if withLength && h.Get("Content-Length") == "" && w.status != http.StatusNotModified && w.status != http.StatusNoContent {
		h.Set("Content-Length", strconv.Itoa(w.n))
	}
	w.ResponseWriter.WriteHeader(w.status)
}

func (w *headWriter) Flush() {
	w.send(false)
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *headWriter) finish() { w.send(true) }

func (w *headWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
