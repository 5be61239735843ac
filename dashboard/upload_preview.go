package dashboard

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// previewPageSize is how many rows a preview page shows.
const previewPageSize = 100

type uploadPage struct {
	P        *metrics.Pending
	Progress metrics.ProgressView
	Rows     []metrics.PreviewRow
	Tabs     []statusTab
	Status   string
	Warnings bool
	Page     int
	Pages    int
	Total    int
	Error    string
}

type statusTab struct {
	Status, Label string
	Count         int
	Current       bool
}

// showUpload shows an upload: a number is a published (or rolled back)
// upload's record; a key is a pending upload's progress or preview.
func (s *Server) showUpload(c echo.Context) error {
	id := c.Param("id")
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return s.showUploadRecord(c, n, "", http.StatusOK)
	}
	p, err := s.uploads.Pending(id)
	if err != nil {
		return err
	}
	if p.State == metrics.StatePublished {
		return c.Redirect(http.StatusSeeOther, "/admin/uploads/"+strconv.FormatInt(p.UploadID, 10))
	}
	return s.renderPreview(c, p, "", http.StatusOK)
}

func (s *Server) renderPreview(c echo.Context, p *metrics.Pending, errMsg string, code int) error {
	d := &uploadPage{P: p, Error: errMsg, Status: c.QueryParam("status"), Warnings: c.QueryParam("warnings") == "1"}
	pv, err := s.uploads.ProgressOf(p.Key)
	if err != nil {
		return err
	}
	d.Progress = pv
	if p.State == metrics.StateReady {
		valid := false
		for _, st := range metrics.Statuses {
			valid = valid || st == d.Status
		}
		if !valid {
			d.Status = ""
		}
		loc := s.locale(c)
		d.Tabs = []statusTab{
			{"", loc.T("upload.tab.all"), p.Counts.Total, d.Status == "" && !d.Warnings},
			{metrics.RowRejected, loc.T("upload.tab.rejected"), p.Counts.Rejected, d.Status == metrics.RowRejected},
			{metrics.RowNew, loc.T("upload.tab.new"), p.Counts.New, d.Status == metrics.RowNew},
			{metrics.RowChanged, loc.T("upload.tab.changed"), p.Counts.Changed, d.Status == metrics.RowChanged},
			{metrics.RowUnchanged, loc.T("upload.tab.unchanged"), p.Counts.Unchanged, d.Status == metrics.RowUnchanged},
		}
		d.Page, _ = strconv.Atoi(c.QueryParam("page"))
		if d.Page < 1 {
			d.Page = 1
		}
		d.Rows, d.Total, err = s.uploads.Rows(c.Request().Context(), p.Key, d.Status, d.Warnings, (d.Page-1)*previewPageSize, previewPageSize)
		if err != nil {
			return err
		}
		d.Pages = (d.Total + previewPageSize - 1) / previewPageSize
	}
	v := s.view(c, "upload")
	v.Title = v.Loc.T("upload.page_title", "File", p.FileName)
	v.Data = d
	return s.render(c, code, "upload", v)
}
