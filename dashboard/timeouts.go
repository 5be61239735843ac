package dashboard

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Timeouts of the HTTP server. A request's body must arrive within
// ReadTimeout of its start, so that a slow sender cannot hold a
// connection (and a goroutine) for long on any route, the anonymous
// sign-in included; a signed-in upload may take UploadReadTimeout.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	UploadReadTimeout = 10 * time.Minute
)

// slowBody gives an upload, once its sender is known to be staff,
// the time a large file takes over a slow link.
func (s *Server) slowBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		rc := http.NewResponseController(c.Response())
		now := time.Now()
		// Servers without deadlines (tests' handlers) cannot set them.
		_ = rc.SetReadDeadline(now.Add(UploadReadTimeout))
		_ = rc.SetWriteDeadline(now.Add(UploadReadTimeout + WriteTimeout))
		return next(c)
	}
}
