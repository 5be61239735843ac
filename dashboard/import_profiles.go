package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// The import profiles' pages: the list, and one profile with its body
// and every change, for admins to approve, retire or revert.

type profileListPage struct {
	Profiles []metrics.ImportProfile
	Status   string
}

// listProfiles lists the stored import profiles.
func (s *Server) listProfiles(c echo.Context) error {
	status := c.QueryParam("status")
	switch status {
	case "", metrics.ProfileProposed, metrics.ProfileApproved, metrics.ProfileRetired:
	default:
		status = ""
	}
	ps, err := s.store.ImportProfiles(c.Request().Context(), status)
	if err != nil {
		return err
	}
	v := s.view(c, "import_profiles")
	v.Title = v.Loc.T("profiles.title")
	v.Data = &profileListPage{Profiles: ps, Status: status}
	return s.render(c, http.StatusOK, "import_profiles", v)
}

type profileChangeView struct {
	metrics.ProfileChange
	Diff string // the body before → after, where it changed
}

type profilePage struct {
	P       metrics.ImportProfile
	Body    string
	Changes []profileChangeView
	Done    string
	// Proposal is an editor's waiting change, key by key.
	Proposal string
}

func indentJSON(b []byte) string {
	var buf bytes.Buffer
	if len(b) == 0 || json.Indent(&buf, b, "", "  ") != nil {
		return string(b)
	}
	return buf.String()
}

// showProfile shows one profile with its history.
func (s *Server) showProfile(c echo.Context) error {
	p, ch, err := s.profileWithChanges(c)
	if err != nil {
		return err
	}
	d := &profilePage{P: p, Body: indentJSON(p.Body), Done: c.QueryParam("done")}
	if p.HasProposal() {
		d.Proposal = jsonDiff(p.Body, p.ProposedBody)
	}
	for _, x := range ch {
		cv := profileChangeView{ProfileChange: x}
		if x.BodyChanged() {
			cv.Diff = jsonDiff(x.OldBody, x.NewBody)
		}
		d.Changes = append(d.Changes, cv)
	}
	v := s.view(c, "import_profile")
	v.Title = v.Loc.T("profile.title", "Name", p.Name)
	v.Data = d
	return s.render(c, http.StatusOK, "import_profile", v)
}

// jsonDiff lists the keys whose values differ between two JSON objects,
// one "key: old → new" a line (a creation lists nothing).
func jsonDiff(a, b []byte) string {
	var x, y map[string]any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return ""
	}
	var out bytes.Buffer
	var walk func(path string, p, q any)
	walk = func(path string, p, q any) {
		pm, pok := p.(map[string]any)
		qm, qok := q.(map[string]any)
		if pok && qok {
			keys := map[string]bool{}
			for k := range pm {
				keys[k] = true
			}
			for k := range qm {
				keys[k] = true
			}
			names := make([]string, 0, len(keys))
			for k := range keys {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				sub := k
				if path != "" {
					sub = path + "." + k
				}
				walk(sub, pm[k], qm[k])
			}
			return
		}
		pb, _ := json.Marshal(p)
		qb, _ := json.Marshal(q)
		if !bytes.Equal(pb, qb) {
			out.WriteString(path + ": " + string(pb) + " → " + string(qb) + "\n")
		}
	}
	walk("", x, y)
	return out.String()
}

// profileAct is a store action an admin takes on a profile.
type profileAct func(ctx context.Context, id int64, u metrics.User, at time.Time) (metrics.ImportProfile, error)

// actOnProfile runs an admin's action on the profile the address names
// and answers the profile as the action left it; a refusal is 403.
func (s *Server) actOnProfile(c echo.Context, act profileAct) (metrics.ImportProfile, error) {
	p, err := s.profileParam(c)
	if err != nil {
		return p, err
	}
	if p, err = act(c.Request().Context(), p.ID, *currentUser(c), s.now()); err != nil {
		return p, notAllowed(err)
	}
	return p, nil
}

// profileAction runs an admin's action on a profile and goes back to it.
func (s *Server) profileAction(c echo.Context, act profileAct, done string) error {
	p, err := s.actOnProfile(c, act)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/import-profiles/"+strconv.FormatInt(p.ID, 10)+"?done="+done)
}

func (s *Server) approveProfile(c echo.Context) error {
	return s.profileAction(c, s.store.ApproveImportProfile, "approved")
}

func (s *Server) retireProfile(c echo.Context) error {
	return s.profileAction(c, s.store.RetireImportProfile, "retired")
}

func (s *Server) revertProfile(c echo.Context) error {
	p, err := s.profileParam(c)
	if err != nil {
		return err
	}
	chID, err := strconv.ParseInt(c.FormValue("change"), 10, 64)
	if err != nil || !s.changeOf(c, p.ID, chID) {
		return echo.NewHTTPError(http.StatusBadRequest, msgNoSuchChange.With())
	}
	return s.profileAction(c, revertChange(s.store, chID), "reverted")
}
