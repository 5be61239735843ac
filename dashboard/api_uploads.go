package dashboard

import (
	"errors"
	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/metrics"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// apiPreview is the JSON a script gets for an upload: what the preview
// page shows, one page of rows at a time.
type apiPreview struct {
	*ingest.Pending
	Status     string              `json:"status_filter,omitempty"`
	Page       int                 `json:"page"`
	PerPage    int                 `json:"per_page"`
	TotalRows  int                 `json:"total_rows"`
	Rows       []ingest.PreviewRow `json:"rows"`
	PublishURL string              `json:"publish_url,omitempty"`
}

func (s *Server) apiPreviewOf(c echo.Context, p *ingest.Pending) (*apiPreview, error) {
	out := &apiPreview{Pending: p, Status: c.QueryParam("status"), PerPage: previewPageSize, Rows: []ingest.PreviewRow{}}
	out.Page, _ = strconv.Atoi(c.QueryParam("page"))
	if out.Page < 1 {
		out.Page = 1
	}
	if p.State == ingest.StateReady {
		status := out.Status
		if status == "" && p.Counts.Rejected > 0 {
			status = ingest.RowRejected // the problems first
			out.Status = status
		}
		rows, total, err := s.uploads.Rows(c.Request().Context(), p.Key, status, false, (out.Page-1)*previewPageSize, previewPageSize)
		if err != nil {
			return nil, err
		}
		if rows != nil {
			out.Rows = rows
		}
		out.TotalRows = total
		out.PublishURL = "/api/v1/uploads/" + p.Key + "/publish"
	}
	return out, nil
}

// apiCreateUpload receives a file, checks it and answers the preview.
func (s *Server) apiCreateUpload(c echo.Context) error {
	p, err := s.receiveFile(c)
	var fe *ingest.FileError
	if errors.As(err, &fe) {
		return c.JSON(fileErrorStatus(fe), map[string]any{"state": ingest.StateFailed, "file_error": fe})
	}
	if err != nil {
		return err
	}
	if p, err = s.uploads.Check(c.Request().Context(), p.Key); err != nil {
		return err
	}
	out, err := s.apiPreviewOf(c, p)
	if err != nil {
		return err
	}
	code := http.StatusCreated
	if p.FileError != nil {
		code = fileErrorStatus(p.FileError)
	}
	return c.JSON(code, out)
}

// apiShowUpload pages through a pending upload's preview.
func (s *Server) apiShowUpload(c echo.Context) error {
	p, err := s.uploads.Pending(c.Param("id"))
	if err != nil {
		return err
	}
	out, err := s.apiPreviewOf(c, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// apiPublishUpload publishes (allow_rejected=1, confirm_warnings=1 as
// the page's check boxes).
func (s *Server) apiPublishUpload(c echo.Context) error {
	id, err := s.publish(c.Request().Context(), c.Param("id"), *currentUser(c), publishOptions(c))
	return s.answerUpload(c, id, err)
}

// apiRollbackUpload rolls back a published upload, by number or key.
func (s *Server) apiRollbackUpload(c echo.Context) error {
	id, err := s.uploadID(c)
	if err != nil {
		return err
	}
	return s.answerUpload(c, id, s.rollback(c.Request().Context(), id, *currentUser(c)))
}

// answerUpload answers a publish or a rollback: the upload's record, or
// 409 with the reason the upload was refused.
func (s *Server) answerUpload(c echo.Context, id int64, err error) error {
	var re *ingest.RefusedError
	if errors.As(err, &re) {
		return echo.NewHTTPError(http.StatusConflict, re.Message)
	}
	if err != nil {
		return err
	}
	u, err := s.store.Upload(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

// apiDiscardUpload throws a pending upload away (its file and preview):
// 204, 404 when there is no such pending upload, 409 when it cannot be
// discarded now (being published).
func (s *Server) apiDiscardUpload(c echo.Context) error {
	if err := s.uploads.Discard(c.Param("id"), *currentUser(c)); err != nil {
		if errors.Is(err, metrics.ErrNotFound) {
			return err
		}
		return echo.NewHTTPError(http.StatusConflict, err)
	}
	return c.NoContent(http.StatusNoContent)
}
