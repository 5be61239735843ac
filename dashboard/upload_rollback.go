package dashboard

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/metrics"
)

type uploadRecordPage struct {
	U       metrics.UploadRecord
	Changes []metrics.UploadChange
	Page    int
	Pages   int
	Total   int
	Pager   *pager
	Done    string
	Error   string
	// Targets and Replaced are the targets the upload brought and those
	// it replaced, for an upload of a targets file.
	Targets, Replaced []stagedTarget
}

// uploadID reads an upload's number from the URL, or the key of the
// preview it was published from.
func (s *Server) uploadID(c echo.Context) (int64, error) {
	id := c.Param("id")
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n, nil
	}
	if !ingest.ValidKey(id) {
		return 0, echo.ErrNotFound
	}
	u, err := s.store.UploadByKey(c.Request().Context(), id)
	return u.ID, err
}

// showUploadRecord is a published or rolled-back upload's page: who,
// when, which file, the counts, and each value it brought with the one
// it replaced.
func (s *Server) showUploadRecord(c echo.Context, id int64, errMsg string, code int) error {
	ctx := c.Request().Context()
	u, err := s.store.Upload(ctx, id)
	if err != nil {
		return err
	}
	d := &uploadRecordPage{U: u, Error: errMsg, Done: c.QueryParam("done")}
	d.Page, _ = strconv.Atoi(c.QueryParam("page"))
	if d.Page < 1 {
		d.Page = 1
	}
	d.Changes, d.Total, err = s.store.UploadChanges(ctx, id, (d.Page-1)*previewPageSize, previewPageSize)
	if err != nil {
		return err
	}
	d.Pages = (d.Total + previewPageSize - 1) / previewPageSize
	brought, replaced, err := ingest.UploadTargets(ctx, s.store, id)
	if err != nil {
		return err
	}
	if len(brought)+len(replaced) > 0 {
		_, cat, err := s.catalogue(c)
		if err != nil {
			return err
		}
		loc := s.locale(c)
		d.Targets = stagedTargets(loc, cat, brought, func(l ingest.TargetLine) string {
			if l.Retired {
				return loc.T("upload.record.target_retired")
			}
			return loc.T("upload.record.current")
		})
		d.Replaced = stagedTargets(loc, cat, replaced, func(l ingest.TargetLine) string {
			if l.Retired {
				return loc.T("upload.record.replaced_by") + " #" + strconv.FormatInt(id, 10)
			}
			return loc.T("upload.record.target_back")
		})
	}
	v := s.view(c, "upload_record")
	v.Title = v.Loc.T("upload.record.page_title", "ID", id)
	d.Pager = pageLinks(d.Page, d.Pages, "?page=", "", v.Loc.T("upload.page_values", "Page", d.Page, "Pages", d.Pages, "Total", d.Total))
	v.Data = d
	return s.render(c, code, "upload_record", v)
}

// rollbackUpload restores the data to what it was before an upload, or
// explains why it cannot.
func (s *Server) rollbackUpload(c echo.Context) error {
	id, err := s.uploadID(c)
	if err != nil {
		return err
	}
	err = s.rollback(c.Request().Context(), id, *currentUser(c))
	return s.uploadDone(c, id, "rolled_back", err, func(reason string) error {
		return s.showUploadRecord(c, id, reason, http.StatusConflict)
	})
}
