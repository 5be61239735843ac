package dashboard

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

type passwordPage struct {
	Error string
	Done  bool
}

// showPassword is the password change form.
func (s *Server) showPassword(c echo.Context) error {
	v := s.view(c, "password")
	v.Title = v.Loc.T("staff.password.title")
	v.Data = &passwordPage{Done: c.QueryParam("done") == "1"}
	return s.render(c, http.StatusOK, "password", v)
}

// changePassword sets a new password and signs out the user's other
// sessions.
func (s *Server) changePassword(c echo.Context) error {
	sess := session(c)
	p := &passwordPage{}
	if c.FormValue("new") != c.FormValue("repeat") {
		p.Error = s.locale(c).T("staff.password.differ")
	} else if err := s.store.ChangePassword(c.Request().Context(), sess.User.ID, c.FormValue("current"), c.FormValue("new"), sess.Token, s.now()); err != nil {
		p.Error = s.locale(c).accountError(err)
	}
	if p.Error != "" {
		v := s.view(c, "password")
		v.Title = v.Loc.T("staff.password.title")
		v.Data = p
		return s.render(c, http.StatusUnprocessableEntity, "password", v)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/password?done=1")
}
