package dashboard

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

type loginPage struct {
	Email string
	Next  string
	Error string
}

// showLogin is the sign-in form. An anonymous form gets its CSRF token
// from a cookie set here (double submit).
func (s *Server) showLogin(c echo.Context) error {
	if session(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return s.renderLogin(c, http.StatusOK, &loginPage{Next: safeNext(c.QueryParam("next"))})
}

func (s *Server) renderLogin(c echo.Context, code int, p *loginPage) error {
	tok := ""
	if ck, err := c.Cookie(loginCSRF); err == nil && len(ck.Value) >= loginTokenLen {
		tok = ck.Value
	} else {
		tok = newToken()
		s.setCookie(c, loginCSRF, tok, 3600)
	}
	v := s.view(c, "login")
	v.Title = v.Loc.T("login.title")
	v.CSRF = tok
	v.Data = p
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, code, "login", v)
}

// submitLogin checks the email and password and starts a session.
func (s *Server) submitLogin(c echo.Context) error {
	// The double-submit token must be one this server made (renderLogin
	// sets 43 characters); a short pair an attacker chose is refused.
	ck, err := c.Cookie(loginCSRF)
	if err != nil || len(ck.Value) < loginTokenLen || !csrfOK(c, ck.Value) {
		return echo.NewHTTPError(http.StatusForbidden, msgLoginExpired.With())
	}
	p := &loginPage{Email: c.FormValue("email"), Next: safeNext(c.FormValue("next"))}
	ctx := c.Request().Context()
	u, err := s.store.Authenticate(ctx, p.Email, c.FormValue("password"), clientAddr(c), deviceToken(c), s.now())
	var te *metrics.ThrottledError
	switch {
	case errors.As(err, &te):
		p.Error = s.locale(c).accountError(te)
		c.Response().Header().Set("Retry-After", itoa(int(te.Wait.Seconds())+1))
		return s.renderLogin(c, http.StatusTooManyRequests, p)
	case errors.Is(err, metrics.ErrBadCredentials):
		p.Error = s.locale(c).accountError(err)
		return s.renderLogin(c, http.StatusUnauthorized, p)
	case err != nil:
		return err
	}
	sess, err := s.store.CreateSession(ctx, u.ID, s.now())
	if err != nil {
		return err
	}
	s.setCookie(c, sessionCookie, sess.Token, int(metrics.SessionLifetime.Seconds()))
	s.setCookie(c, loginCSRF, "", -1)
	dev, err := s.store.RememberDevice(ctx, u.ID, deviceToken(c), s.now())
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: deviceCookie, Value: dev, Path: "/", MaxAge: int(metrics.DeviceLifetime.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(c)})
	return c.Redirect(http.StatusSeeOther, p.Next)
}

// loginTokenLen is the length of the sign-in form's token (newToken).
const loginTokenLen = 43

// deviceCookie marks a browser that signed in before: its sign-in
// attempts are counted apart from everyone else's, so that others'
// guesses never lock its user out. Its path is "/" because the sign-in
// form posts to /login under the reader's language prefix (/vi/login).
const deviceCookie = "tm_device"

func deviceToken(c echo.Context) string {
	if ck, err := c.Cookie(deviceCookie); err == nil && len(ck.Value) <= 64 {
		return ck.Value
	}
	return ""
}

// logout ends the session.
func (s *Server) logout(c echo.Context) error {
	if sess := session(c); sess != nil {
		if err := s.store.EndSession(c.Request().Context(), sess.Token); err != nil {
			return err
		}
	}
	s.setCookie(c, sessionCookie, "", -1)
	return c.Redirect(http.StatusSeeOther, "/")
}
