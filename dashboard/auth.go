package dashboard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// Cookie names.
const (
	sessionCookie = "tm_session"
	loginCSRF     = "tm_login_csrf"
	csrfField     = "csrf"
	csrfHeader    = "X-CSRF-Token"
	ctxSession    = "session"
	ctxAPIUser    = "api_user"
)

// secure reports whether the request came over TLS, directly or through
// a proxy that says so.
func secure(c echo.Context) bool { return c.Scheme() == "https" }

func (s *Server) setCookie(c echo.Context, name, value string, maxAge int) {
	c.SetCookie(&http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure(c),
	})
}

// loadSession finds the signed-in user, if any, for every request.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
			sess, err := s.store.SessionUser(c.Request().Context(), ck.Value, s.now())
			switch {
			case err == nil:
				c.Set(ctxSession, &sess)
			case errors.Is(err, metrics.ErrNoSession):
			default:
				return err
			}
		}
		return next(c)
	}
}

func session(c echo.Context) *metrics.Session {
	sess, _ := c.Get(ctxSession).(*metrics.Session)
	return sess
}

// currentUser is the signed-in user or the API token's user.
func currentUser(c echo.Context) *metrics.User {
	if sess := session(c); sess != nil {
		return &sess.User
	}
	u, _ := c.Get(ctxAPIUser).(*metrics.User)
	return u
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// requireStaff sends anyone not signed in to the sign-in page, and
// checks the CSRF token of every request that changes something.
func (s *Server) requireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := session(c)
		if sess == nil {
			if unsafeMethod(c.Request().Method) {
				return echo.NewHTTPError(http.StatusForbidden, msgSignInFirst.With())
			}
			return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		if unsafeMethod(c.Request().Method) && !csrfOK(c, sess.CSRF) {
			if !uploadForm(c) {
				return errFormExpired
			}
			// The upload form's token is its first field: checked by
			// receiveFile before the file is read.
			c.Set(csrfInBody, sess.CSRF)
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

// requireAdmin refuses editors.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := currentUser(c); u == nil || !u.IsAdmin() {
			return echo.NewHTTPError(http.StatusForbidden, msgAdminsOnly.With())
		}
		return next(c)
	}
}

// errFormExpired refuses a change without the session's CSRF token.
var errFormExpired = echo.NewHTTPError(http.StatusForbidden, msgFormExpired.With())

// csrfInBody marks an upload whose CSRF token is to be read from the
// multipart body, ahead of the file.
const csrfInBody = "csrf.in_body"

// uploadForm reports whether a request is the upload page's form, sent
// without a script (multipart, the token inside the body).
func uploadForm(c echo.Context) bool {
	req := c.Request()
	return req.Method == http.MethodPost && req.URL.Path == "/admin/uploads" &&
		strings.HasPrefix(req.Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm)
}

// csrfOK compares the token a request carries (the header, or a form
// field; never the address, which ends up in logs and histories) with
// the session's, in constant time.
func csrfOK(c echo.Context, want string) bool {
	got := c.Request().Header.Get(csrfHeader)
	if got == "" && !strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		got = c.Request().PostFormValue(csrfField)
	}
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// requireAPIUser accepts a bearer token, or a session cookie with the
// CSRF header (the upload page's script); it answers 401 or 403 in JSON.
func (s *Server) requireAPIUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
			// The scheme is case-insensitive (RFC 9110 §11.1).
			scheme, tok, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				return echo.NewHTTPError(http.StatusUnauthorized, msgBearerHeader.With())
			}
			u, err := s.store.TokenUser(c.Request().Context(), strings.TrimSpace(tok))
			if errors.Is(err, metrics.ErrNoSession) {
				c.Response().Header().Set("WWW-Authenticate", `Bearer realm="twinmetrics"`)
				return echo.NewHTTPError(http.StatusUnauthorized, msgTokenUnknown.With())
			}
			if err != nil {
				return err
			}
			c.Set(ctxAPIUser, &u)
			return next(c)
		}
		sess := session(c)
		if sess == nil {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="twinmetrics"`)
			return echo.NewHTTPError(http.StatusUnauthorized, msgSendToken.With())
		}
		if unsafeMethod(c.Request().Method) && !csrfOK(c, sess.CSRF) {
			return echo.NewHTTPError(http.StatusForbidden, msgCSRFHeader.With())
		}
		return next(c)
	}
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	// Browsers drop tabs and newlines from addresses and read a backslash
	// as a slash, so "/\t/evil.example" would leave the site: any control
	// character or backslash sends the officer to the uploads instead.
	bad := strings.IndexFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) >= 0
	if bad || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/admin/uploads"
	}
	return next
}

// clientAddr is the address sign-in failures are counted against.
func clientAddr(c echo.Context) string { return c.RealIP() }

// newToken is a random token for the sign-in form's CSRF cookie.
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
