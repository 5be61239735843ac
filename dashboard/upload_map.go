package dashboard

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// The mapping step: a file no profile reads is shown as it is; staff
// choose the header line and each column's role, see the first rows
// read that way, and save the mapping as an import profile. The upload
// is then checked with it, and previewed and published as any other.

// mapSampleRows is how many lines of the file the page shows, and
// mapPreviewRows how many mapped rows the preview reads.
const (
	mapSampleRows  = 12
	mapPreviewRows = 20
)

type mapColumn struct {
	Index   int
	Letter  string
	Name    string
	Example string
	Role    string
}

type mapPage struct {
	P          *ingest.Pending
	Sample     *ingest.Sample
	Shown      []ingest.SampleRow
	M          ingest.Mapping
	Columns    []mapColumn
	Roles      []string
	Indicators []*metrics.Indicator
	Units      []metrics.Unit
	Sources    []*metrics.Source
	Rows       []ingest.MappedRow
	Problems   map[string]string
	// Previewed is set once a mapping has been read (the form sent).
	Previewed bool
	Name      string
	Title     string
	// SaveProblems are the profile's own problems (name, title, the
	// format), shown beside the save button.
	SaveProblems []string
	Letters      []string
}

// mappingFrom reads the mapping form (query or body).
func mappingFrom(c echo.Context, width int) ingest.Mapping {
	m := ingest.Mapping{Sheet: c.FormValue("sheet"), Indicator: c.FormValue("indicator"), Unit: c.FormValue("unit"), Source: c.FormValue("source")}
	m.HeaderLine, _ = strconv.Atoi(c.FormValue("header_line"))
	m.Year, _ = strconv.Atoi(strings.TrimSpace(c.FormValue("year")))
	valid := map[string]bool{}
	for _, r := range ingest.Roles {
		valid[r] = true
	}
	m.Roles = make([]string, width)
	for i := range m.Roles {
		r := c.FormValue("role_" + strconv.Itoa(i))
		if !valid[r] {
			r = ingest.RoleIgnore
		}
		m.Roles[i] = r
	}
	return m
}

// guessHeaderLine is the first line with as many filled cells as the
// widest line: title lines above a header fill one or two.
func guessHeaderLine(s *ingest.Sample) int {
	best, line := 0, 0
	for _, r := range s.Rows {
		n := 0
		for _, f := range r.Fields {
			if f != "" {
				n++
			}
		}
		if n > best {
			best, line = n, r.Line
		}
	}
	return line
}

// buildMapPage reads the file's start and, when the form was sent,
// the first rows as mapped.
func (s *Server) buildMapPage(c echo.Context, p *ingest.Pending, sent bool) (*mapPage, error) {
	ctx := c.Request().Context()
	sample, err := s.uploads.SampleOf(p.Key, c.FormValue("sheet"), mapSampleRows+mapPreviewRows+50)
	if err != nil {
		return nil, err
	}
	cat, err := s.store.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	d := &mapPage{P: p, Sample: sample, Roles: ingest.Roles, Indicators: cat.Indicators, Units: metrics.Units(), Sources: cat.Sources,
		Name: c.FormValue("name"), Title: c.FormValue("title")}
	d.Shown = sample.Rows[:min(len(sample.Rows), mapSampleRows)]
	d.M = mappingFrom(c, sample.Width)
	// Another sheet has other lines and columns: start again on it.
	if shown := c.FormValue("shown_sheet"); sent && shown != "" && shown != sample.Sheet {
		d.M = ingest.Mapping{Roles: make([]string, sample.Width), Indicator: d.M.Indicator, Unit: d.M.Unit, Source: d.M.Source, Year: d.M.Year}
		for i := range d.M.Roles {
			d.M.Roles[i] = ingest.RoleIgnore
		}
		sent = false
	}
	d.M.Sheet = sample.Sheet
	if d.M.HeaderLine == 0 {
		d.M.HeaderLine = guessHeaderLine(sample)
	}
	for i := 0; i < sample.Width; i++ {
		d.Letters = append(d.Letters, columnLetter(i))
	}
	head := sample.Row(d.M.HeaderLine)
	var first []string
	for _, r := range sample.Rows {
		if r.Line > d.M.HeaderLine {
			first = r.Fields
			break
		}
	}
	for i := 0; i < sample.Width; i++ {
		col := mapColumn{Index: i, Letter: columnLetter(i), Role: d.M.Roles[i]}
		if i < len(head) {
			col.Name = head[i]
		}
		if i < len(first) {
			col.Example = first[i]
		}
		d.Columns = append(d.Columns, col)
	}
	if d.Name == "" {
		d.Name = metrics.Slugify(strings.TrimSuffix(p.FileName, fileExt(p.FileName)))
	}
	if d.Title == "" {
		d.Title = p.FileName
	}
	if !sent {
		return d, nil
	}
	d.Previewed = true
	_, rows, merr, err := s.uploads.PreviewMapping(ctx, p.Key, d.M, mapPreviewRows)
	if err != nil {
		return nil, err
	}
	d.Rows = rows
	if merr != nil {
		loc := s.locale(c)
		d.Problems = map[string]string{}
		for k, v := range merr.Fields {
			d.Problems[k] = loc.Say(v)
		}
	}
	return d, nil
}

func fileExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		return name[i:]
	}
	return ""
}

// columnLetter is the spreadsheet name of the i-th column (0 → A).
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// mappable finds the pending upload the mapping step is for: received
// and not yet published.
func (s *Server) mappable(c echo.Context) (*ingest.Pending, error) {
	p, err := s.uploads.Pending(c.Param("id"))
	if err != nil {
		return nil, err
	}
	switch p.State {
	case ingest.StatePublished, ingest.StateDiscarded:
		return nil, echo.NewHTTPError(http.StatusConflict, msgMapDone.With())
	}
	return p, nil
}

// mappedPage builds the mapping page of the pending upload the address
// names; sent says whether the mapping form came with the request.
func (s *Server) mappedPage(c echo.Context, sent bool) (*mapPage, error) {
	p, err := s.mappable(c)
	if err != nil {
		return nil, err
	}
	d, err := s.buildMapPage(c, p, sent)
	if err != nil {
		return nil, mapFileError(err)
	}
	return d, nil
}

// showMapping shows the mapping step (GET: the file as it is, with a
// guessed header line).
func (s *Server) showMapping(c echo.Context) error {
	d, err := s.mappedPage(c, c.QueryParam("header_line") != "")
	if err != nil {
		return err
	}
	return s.renderMapping(c, d, http.StatusOK)
}

// mapFileError answers a file that cannot be read at all.
func mapFileError(err error) error {
	var fe *ingest.FileError
	if errors.As(err, &fe) {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, fe.Message)
	}
	return err
}

func (s *Server) renderMapping(c echo.Context, d *mapPage, code int) error {
	v := s.view(c, "upload_map")
	v.Title = v.Loc.T("map.page_title", "File", d.P.FileName)
	v.Data = d
	return s.render(c, code, "upload_map", v)
}

// previewMapping answers the preview of 20 mapped rows as an HTML
// fragment, for the page's script to put in place.
func (s *Server) previewMapping(c echo.Context) error {
	d, err := s.mappedPage(c, true)
	if err != nil {
		return err
	}
	v := s.view(c, "upload_map")
	v.Data = d
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.renderBlock(c, http.StatusOK, "upload_map", "map-preview", v)
}

// saveMapping previews (action=preview) or saves the mapping as a
// profile and checks the upload with it (action=save).
func (s *Server) saveMapping(c echo.Context) error {
	d, err := s.mappedPage(c, true)
	if err != nil {
		return err
	}
	if c.FormValue("action") != "save" {
		return s.renderMapping(c, d, http.StatusOK)
	}
	loc := s.locale(c)
	if d.Problems != nil {
		d.SaveProblems = []string{loc.T("map.save.fix_first")}
		return s.renderMapping(c, d, http.StatusUnprocessableEntity)
	}
	ctx, cat, err := s.catalogue(c)
	if err != nil {
		return err
	}
	name, title := strings.TrimSpace(d.Name), strings.TrimSpace(d.Title)
	body, err := d.M.ProfileOf(name, title, d.Sample, cat)
	if err == nil {
		// The mapping step makes new profiles: a shipped profile's name,
		// or (for an editor) an approved one's, is refused, since the
		// file would not be checked with what was just mapped.
		if old, gerr := s.store.ImportProfileByName(ctx, name); gerr == nil &&
			(old.Kind == metrics.ProfileShipped || old.Status == metrics.ProfileApproved && !currentUser(c).IsAdmin()) {
			err = &ingest.ProfileError{Key: "name", Message: "taken"}
		}
	}
	if err != nil {
		d.SaveProblems = profileProblems(loc, err)
		return s.renderMapping(c, d, http.StatusUnprocessableEntity)
	}
	saved, err := s.store.SaveImportProfile(ctx, metrics.ProfileInput{Name: name, Title: title, Body: body}, *currentUser(c), s.now())
	var inv *metrics.InvalidError
	if errors.As(err, &inv) {
		for _, m := range inv.Fields {
			d.SaveProblems = append(d.SaveProblems, loc.Say(m))
		}
		sort.Strings(d.SaveProblems)
		return s.renderMapping(c, d, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	if err := s.checkWithProfile(c, d.P.Key, saved); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/uploads/"+d.P.Key+"?profile_saved="+strconv.FormatInt(saved.ID, 10))
}

// profileProblems words a profile's problems for the page: the name
// and title as the form's own fields, the rest as the format says.
func profileProblems(loc Locale, err error) []string {
	var out []string
	add := func(pe *ingest.ProfileError) {
		switch {
		case pe.Key == "name" && pe.Message == "taken":
			out = append(out, loc.T("map.save.name_taken"))
		case pe.Key == "name":
			out = append(out, loc.T("map.save.bad_name"))
		case pe.Key == "title":
			out = append(out, loc.T("map.save.bad_title"))
		default:
			out = append(out, loc.T("map.save.format", "Key", pe.Key, "Message", pe.Message))
		}
	}
	var pes ingest.ProfileErrors
	var pe *ingest.ProfileError
	var merr *ingest.MappingError
	switch {
	case errors.As(err, &pes):
		for _, e := range pes {
			add(e)
		}
	case errors.As(err, &pe):
		add(pe)
	case errors.As(err, &merr):
		out = append(out, loc.T("map.save.fix_first"))
	default:
		out = append(out, err.Error())
	}
	return out
}

// checkWithProfile checks the upload again, read with the saved
// profile.
func (s *Server) checkWithProfile(c echo.Context, key string, prof metrics.ImportProfile) error {
	if err := s.uploads.UseProfile(c.Request().Context(), key, prof.Name); err != nil {
		return err
	}
	s.uploads.CheckAsync(key)
	return nil
}
