package dashboard

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// problemInvalidProfile is the problem type of a profile the format
// refuses: its invalid_params name the keys.
const problemInvalidProfile = "/api/v1/import-profiles/schema.json"

// apiProfile is a stored profile with its history, as the API answers.
type apiProfile struct {
	metrics.ImportProfile
	Changes []metrics.ProfileChange `json:"changes,omitempty"`
}

// showProfileSchema serves the JSON Schema of the profile format.
func (s *Server) showProfileSchema(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, "application/schema+json", ingest.ProfileSchema)
}

// apiListProfiles lists the stored profiles (status=proposed|approved|retired).
func (s *Server) apiListProfiles(c echo.Context) error {
	status := c.QueryParam("status")
	switch status {
	case "", metrics.ProfileProposed, metrics.ProfileApproved, metrics.ProfileRetired:
	default:
		return badParam("status", reasonProfileStatus.With())
	}
	ps, err := s.store.ImportProfiles(c.Request().Context(), status)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"profiles": ps})
}

// profileParam finds the profile named by :id, a number or a name.
func (s *Server) profileParam(c echo.Context) (metrics.ImportProfile, error) {
	id := c.Param("id")
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return s.store.ImportProfile(c.Request().Context(), n)
	}
	return s.store.ImportProfileByName(c.Request().Context(), id)
}

// profileWithChanges finds the profile named by :id and its changes,
// newest first.
func (s *Server) profileWithChanges(c echo.Context) (metrics.ImportProfile, []metrics.ProfileChange, error) {
	p, err := s.profileParam(c)
	if err != nil {
		return p, nil, err
	}
	ch, err := s.store.ImportProfileChanges(c.Request().Context(), p.ID)
	return p, ch, err
}

// apiShowProfile answers one profile with its changes, newest first.
func (s *Server) apiShowProfile(c echo.Context) error {
	p, ch, err := s.profileWithChanges(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiProfile{ImportProfile: p, Changes: ch})
}

// invalidProfile is the problem document of a profile the format
// refuses, one entry per key.
func invalidProfile(err error) *Problem {
	p := &Problem{Type: problemInvalidProfile, Title: locale.English(titleInvalidProfile.With()), Status: http.StatusUnprocessableEntity,
		Detail: locale.English(detailInvalidProf.With(problemInvalidProfile, err.Error()))}
	var pes ingest.ProfileErrors
	var pe *ingest.ProfileError
	switch {
	case errors.As(err, &pes):
		for _, e := range pes {
			p.InvalidParams = append(p.InvalidParams, InvalidParam{Name: e.Key, Reason: e.Message})
		}
	case errors.As(err, &pe):
		p.InvalidParams = []InvalidParam{{Name: pe.Key, Reason: pe.Message}}
	}
	return p
}

// saveProfile checks a profile against the format and stores it:
// proposed when an editor sends it, approved when an admin does.
func (s *Server) saveProfile(c echo.Context, body []byte) (metrics.ImportProfile, bool, error) {
	prof, err := ingest.ParseProfile(body)
	if err != nil {
		return metrics.ImportProfile{}, false, invalidProfile(err)
	}
	ctx := c.Request().Context()
	_, err = s.store.ImportProfileByName(ctx, prof.Name)
	created := errors.Is(err, metrics.ErrNotFound)
	if err != nil && !created {
		return metrics.ImportProfile{}, false, err
	}
	saved, err := s.store.SaveImportProfile(ctx, metrics.ProfileInput{Name: prof.Name, Title: prof.Title, Body: body}, *currentUser(c), s.now())
	var inv *metrics.InvalidError
	if errors.As(err, &inv) {
		p := &Problem{Type: problemInvalidProfile, Title: locale.English(titleInvalidProfile.With()), Status: http.StatusUnprocessableEntity,
			Detail: locale.English(detailInvalidProf.With(problemInvalidProfile, inv.Error()))}
		for k, v := range inv.Fields {
			p.InvalidParams = append(p.InvalidParams, invalidParam(k, v))
		}
		return saved, false, p
	}
	return saved, created, err
}

// apiCreateProfile stores the profile in the request body (JSON).
func (s *Server) apiCreateProfile(c echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	saved, created, err := s.saveProfile(c, body)
	if err != nil {
		return err
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/import-profiles/"+strconv.FormatInt(saved.ID, 10))
	}
	return c.JSON(code, saved)
}

// notAllowed turns the domain's refusal into 403.
func notAllowed(err error) error {
	if errors.Is(err, metrics.ErrNotAllowed) {
		return echo.NewHTTPError(http.StatusForbidden, msgAdminsOnly.With())
	}
	return err
}

// apiApproveProfile approves a profile (admins).
func (s *Server) apiApproveProfile(c echo.Context) error {
	return s.apiProfileAction(c, s.store.ApproveImportProfile)
}

// apiRetireProfile retires a profile (admins).
func (s *Server) apiRetireProfile(c echo.Context) error {
	return s.apiProfileAction(c, s.store.RetireImportProfile)
}

// apiProfileAction runs an admin's action on a profile and answers the
// profile as it left it.
func (s *Server) apiProfileAction(c echo.Context, act profileAct) error {
	p, err := s.actOnProfile(c, act)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// apiRevertProfile reverts one change of a profile (admins): form or
// query field change, the change's number.
func (s *Server) apiRevertProfile(c echo.Context) error {
	p, err := s.profileParam(c)
	if err != nil {
		return err
	}
	chID, err := strconv.ParseInt(c.FormValue("change"), 10, 64)
	if err != nil {
		return badParam("change", reasonChangeNumber.With())
	}
	if !s.changeOf(c, p.ID, chID) {
		return badParam("change", reasonChangeOther.With())
	}
	return s.apiProfileAction(c, revertChange(s.store, chID))
}

// revertChange is the action that reverts change chID of a profile.
func revertChange(st *metrics.Store, chID int64) profileAct {
	return func(ctx context.Context, _ int64, u metrics.User, at time.Time) (metrics.ImportProfile, error) {
		return st.RevertImportProfileChange(ctx, chID, u, at)
	}
}

// changeOf reports whether change chID belongs to profile id.
func (s *Server) changeOf(c echo.Context, id, chID int64) bool {
	ch, err := s.store.ImportProfileChanges(c.Request().Context(), id)
	if err != nil {
		return false
	}
	for _, x := range ch {
		if x.ID == chID {
			return true
		}
	}
	return false
}
