package dashboard

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

type usersPage struct {
	Users    []metrics.User
	Tokens   []metrics.APIToken
	NewToken string
	Error    string
	// Notice says what an action did.
	Notice string
}

func (s *Server) renderUsers(c echo.Context, code int, d *usersPage) error {
	ctx := c.Request().Context()
	var err error
	if d.Users, err = s.store.ListUsers(ctx); err != nil {
		return err
	}
	if d.Tokens, err = s.store.ListTokens(ctx); err != nil {
		return err
	}
	v := s.view(c, "users")
	v.Title = v.Loc.T("users.title")
	v.Data = d
	return s.render(c, code, "users", v)
}

// listUsers shows the accounts and API tokens (admins only).
func (s *Server) listUsers(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, &usersPage{})
}

// addUser creates an account with a first password the admin passes on.
func (s *Server) addUser(c echo.Context) error {
	_, err := s.store.AddUser(c.Request().Context(), c.FormValue("email"), c.FormValue("role"), c.FormValue("password"), s.now())
	if err != nil {
		return s.renderUsers(c, http.StatusUnprocessableEntity, &usersPage{Error: s.locale(c).accountError(err)})
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users")
}

// createToken makes an API token and shows it once.
func (s *Server) createToken(c echo.Context) error {
	tok, _, err := s.store.CreateToken(c.Request().Context(), c.FormValue("email"), c.FormValue("name"), s.now())
	if err != nil {
		return s.renderUsers(c, http.StatusUnprocessableEntity, &usersPage{Error: s.locale(c).accountError(err)})
	}
	return s.renderUsers(c, http.StatusOK, &usersPage{NewToken: tok})
}

// revokeToken stops a token from working.
func (s *Server) revokeToken(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	if err := s.store.RevokeToken(c.Request().Context(), id, s.now()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/users")
}
