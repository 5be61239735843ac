package dashboard

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

type aboutPage struct {
	Sources           []*metrics.Source
	Flags             []*metrics.Flag
	MaxDenominatorGap int
	Observations      int
	DataVersion       int64
}

// showAbout lists each source with its licence and citation, the flags,
// and the rules the pages follow.
func (s *Server) showAbout(c echo.Context) error {
	ctx, cat, err := s.catalogueOfAll(c)
	if err != nil {
		return err
	}
	n, err := s.store.CountObservations(ctx)
	if err != nil {
		return err
	}
	v, dv, err := s.versionedView(c, "about")
	if err != nil {
		return err
	}
	v.Title = v.Loc.T("about.title")
	v.Data = &aboutPage{Sources: cat.Sources, Flags: cat.Flags, MaxDenominatorGap: metrics.MaxDenominatorGap, Observations: n, DataVersion: dv}
	return s.render(c, http.StatusOK, "about", v)
}
