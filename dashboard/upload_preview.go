package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// previewPageSize is how many rows a preview page shows.
const previewPageSize = 100

type uploadPage struct {
	P        *ingest.Pending
	Progress ingest.ProgressView
	Rows     []ingest.PreviewRow
	Tabs     []statusTab
	Status   string
	Warnings bool
	Page     int
	Pages    int
	Total    int
	Pager    *pager
	Error    string
	// CanMap offers the mapping step: the file is not in the template's
	// layout and no profile read it.
	CanMap bool
	// ProfileSaved, AliasesAdded and AliasesRefused report the mapping
	// step's and the alias acceptance's outcome.
	ProfileSaved   string
	AliasesAdded   int
	AliasesRefused int
	// Targets and Replaces describe a targets file's preview: the
	// targets it adds and the current ones it replaces.
	Targets, Replaces []stagedTarget
}

// stagedTarget is a target of an upload's preview or record, in words.
type stagedTarget struct {
	Area, AreaSlug string
	Locator        string
	// Now says, on an upload's record, whether the target is current.
	Now string
	targetView
}

// stagedTargets describes targets of an upload in the reader's language;
// now, when not nil, says for each whether it is current.
func stagedTargets(loc Locale, cat *metrics.Catalogue, ls []ingest.TargetLine, now func(ingest.TargetLine) string) []stagedTarget {
	out := make([]stagedTarget, 0, len(ls))
	for _, l := range ls {
		st := stagedTarget{Area: l.AreaName, AreaSlug: l.Area, Locator: l.Locator, targetView: targetViewOf(loc, cat, l.Target())}
		if now != nil {
			st.Now = now(l)
		}
		out = append(out, st)
	}
	return out
}

type statusTab struct {
	Status, Label string
	Count         int
	Current       bool
}

// mappingCodes are the file errors of a file in a layout nobody has
// described: the mapping step can read it.
var mappingCodes = map[string]bool{"missing_columns": true, "unknown_columns": true}

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
	if p.State == ingest.StatePublished {
		return c.Redirect(http.StatusSeeOther, "/admin/uploads/"+strconv.FormatInt(p.UploadID, 10))
	}
	return s.renderPreview(c, p, "", http.StatusOK)
}

func (s *Server) renderPreview(c echo.Context, p *ingest.Pending, errMsg string, code int) error {
	d := &uploadPage{P: p, Error: errMsg, Status: c.QueryParam("status"), Warnings: c.QueryParam("warnings") == "1", ProfileSaved: c.QueryParam("profile_saved")}
	d.AliasesAdded, _ = strconv.Atoi(c.QueryParam("aliases_added"))
	d.AliasesRefused, _ = strconv.Atoi(c.QueryParam("aliases_refused"))
	if fe := p.FileError; fe != nil && p.Key != "" {
		d.CanMap = mappingCodes[fe.Code]
	}
	pv, err := s.uploads.ProgressOf(p.Key)
	if err != nil {
		return err
	}
	d.Progress = pv
	if p.State == ingest.StateReady && p.Targets != nil {
		_, cat, err := s.catalogue(c)
		if err != nil {
			return err
		}
		loc := s.locale(c)
		d.Targets, d.Replaces = stagedTargets(loc, cat, p.Targets.Targets, nil), stagedTargets(loc, cat, p.Targets.Replaces, nil)
	} else if p.State == ingest.StateReady {
		if !slices.Contains(ingest.Statuses, d.Status) {
			d.Status = ""
		}
		loc := s.locale(c)
		d.Tabs = []statusTab{
			{"", loc.T("upload.tab.all"), p.Counts.Total, d.Status == "" && !d.Warnings},
			{ingest.RowRejected, loc.T("upload.tab.rejected"), p.Counts.Rejected, d.Status == ingest.RowRejected},
			{ingest.RowNew, loc.T("upload.tab.new"), p.Counts.New, d.Status == ingest.RowNew},
			{ingest.RowChanged, loc.T("upload.tab.changed"), p.Counts.Changed, d.Status == ingest.RowChanged},
			{ingest.RowUnchanged, loc.T("upload.tab.unchanged"), p.Counts.Unchanged, d.Status == ingest.RowUnchanged},
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
	query := "?status=" + url.QueryEscape(d.Status)
	if d.Warnings {
		query += "&warnings=1"
	}
	d.Pager = pageLinks(d.Page, d.Pages, query+"&page=", "", v.Loc.T("upload.page_rows", "Page", d.Page, "Pages", d.Pages, "Total", d.Total))
	v.Data = d
	return s.render(c, code, "upload", v)
}
