package dashboard

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// userParam is the account an admin action names.
func userParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// disableUser stops an account: its sessions end, its tokens are
// revoked, it cannot sign in until enabled again.
func (s *Server) disableUser(c echo.Context) error {
	id, err := userParam(c)
	if err != nil {
		return err
	}
	admin := currentUser(c)
	err = s.store.DisableUser(c.Request().Context(), id, admin.ID, s.now())
	if errors.Is(err, metrics.ErrOwnAccount) {
		return s.renderUsers(c, http.StatusUnprocessableEntity, &usersPage{Error: s.locale(c).accountError(err)})
	}
	if err != nil {
		return err
	}
	s.log.Info("user disabled", "user_id", id, "by", admin.Email)
	return c.Redirect(http.StatusSeeOther, "/admin/users")
}

// enableUser lets a disabled account sign in again.
func (s *Server) enableUser(c echo.Context) error {
	id, err := userParam(c)
	if err != nil {
		return err
	}
	if err := s.store.EnableUser(c.Request().Context(), id); err != nil {
		return err
	}
	s.log.Info("user enabled", "user_id", id, "by", currentUser(c).Email)
	return c.Redirect(http.StatusSeeOther, "/admin/users")
}

// endUserSessions signs an account out everywhere; it can sign in
// again.
func (s *Server) endUserSessions(c echo.Context) error {
	id, err := userParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	n, err := s.store.EndSessions(ctx, id)
	if err != nil {
		return err
	}
	s.log.Info("user signed out everywhere", "user_id", id, "sessions", n, "by", currentUser(c).Email)
	if id == currentUser(c).ID {
		s.setCookie(c, sessionCookie, "", -1)
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	return s.renderUsers(c, http.StatusOK, &usersPage{Notice: s.locale(c).T("users.sessions_ended", "Email", u.Email, "N", n)})
}
