package dashboard

import (
	"github.com/twinmetrics/twinmetrics/ingest"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

type uploadsPage struct {
	Pending  []*ingest.Pending
	History  []metrics.UploadRecord
	MaxMB    int64
	MaxBytes int64
	MaxRows  string
}

// listUploads is the staff home: the upload form, the pending uploads
// and the history of every upload with its author, time and counts.
func (s *Server) listUploads(c echo.Context) error {
	pending, err := s.uploads.ListPending()
	if err != nil {
		return err
	}
	hist, err := s.store.ListUploads(c.Request().Context())
	if err != nil {
		return err
	}
	v := s.view(c, "uploads")
	v.Title = v.Loc.T("upload.list.title")
	lim := s.uploads.Limits()
	v.Data = &uploadsPage{Pending: pending, History: hist, MaxMB: lim.MaxBytes >> 20, MaxBytes: lim.MaxBytes, MaxRows: v.Loc.Num(float64(lim.MaxRows))}
	return s.render(c, http.StatusOK, "uploads", v)
}
