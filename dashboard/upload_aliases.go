package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// acceptAliases adds the names an upload's preview proposed as aliases
// of catalogue areas (admins, one step: every ticked box, each
// "slug:name"), then checks the upload again so that their rows are
// read.
func (s *Server) acceptAliases(c echo.Context) error {
	p, err := s.mappable(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	var in []metrics.AliasInput
	for _, v := range form["alias"] {
		slug, name, ok := strings.Cut(v, ":")
		if ok && slug != "" && strings.TrimSpace(name) != "" {
			in = append(in, metrics.AliasInput{Slug: slug, Alias: name})
		}
	}
	if len(in) == 0 {
		return echo.NewHTTPError(http.StatusBadRequest, msgNoAliasTicked.With())
	}
	res, err := s.store.AcceptAliases(c.Request().Context(), in, currentUser(c).Email)
	if err != nil {
		return err
	}
	added, refused := 0, 0
	for _, r := range res {
		switch r.Outcome {
		case metrics.AliasAdded:
			added++
		case metrics.AliasOtherArea, metrics.AliasUnknownArea:
			refused++
		}
	}
	s.uploads.CheckAsync(p.Key)
	return c.Redirect(http.StatusSeeOther, "/admin/uploads/"+p.Key+"?aliases_added="+strconv.Itoa(added)+"&aliases_refused="+strconv.Itoa(refused))
}
