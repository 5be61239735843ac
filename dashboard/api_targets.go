package dashboard

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// targetColumns are the columns of a target in CSV answers and in the
// data package's targets resource.
var targetColumns = []string{
	"target_id", "city_code", "city_name", "country", "area_kind",
	"kind", "kind_as_printed", "role", "summary", "status", "status_as_printed", "status_year",
	"gases", "sector", "boundary", "base_year", "base_value", "base_value_as_printed",
	"target_year", "percent", "level", "level_as_printed", "bau_value", "intensity_unit",
	"achieved_percent_reported", "year_set", "report_year", "organisation",
	"source_code", "source_kind", "source_url", "locator", "note", "withheld",
}

// targetDoc is one target in the API.
type targetDoc struct {
	ID                 int64    `json:"id"`
	City               string   `json:"city"`
	CityName           string   `json:"city_name"`
	Country            string   `json:"country"`
	AreaKind           string   `json:"area_kind"`
	Kind               string   `json:"kind"`
	KindAsPrinted      string   `json:"kind_as_printed"`
	Role               string   `json:"role"`
	Summary            string   `json:"summary"`
	Status             string   `json:"status"`
	StatusAsPrinted    string   `json:"status_as_printed"`
	StatusYear         *int64   `json:"status_year"`
	Gases              string   `json:"gases"`
	Sector             string   `json:"sector"`
	Boundary           string   `json:"boundary"`
	BaseYear           *int64   `json:"base_year"`
	BaseValue          *float64 `json:"base_value"`
	BaseValueAsPrinted string   `json:"base_value_as_printed"`
	TargetYear         *int64   `json:"target_year"`
	Percent            *float64 `json:"percent"`
	Level              *float64 `json:"level"`
	LevelAsPrinted     string   `json:"level_as_printed"`
	BAUValue           *float64 `json:"bau_value"`
	IntensityUnit      string   `json:"intensity_unit"`
	// AchievedReported is the city's own "% of target achieved", as
	// reported to CDP: not computed here.
	AchievedReported *float64 `json:"achieved_percent_reported"`
	YearSet          *int64   `json:"year_set"`
	ReportYear       int      `json:"report_year"`
	Organisation     string   `json:"organisation"`
	Source           string   `json:"source"`
	SourceKind       string   `json:"source_kind"`
	SourceURL        string   `json:"source_url"`
	Locator          string   `json:"locator"`
	Note             string   `json:"note"`
	Withheld         bool     `json:"withheld"`
}

// newTargetDoc describes a target; the figures of a source whose terms
// reserve the rights are left out (withheld), as for observations.
func newTargetDoc(cat *metrics.Catalogue, t metrics.Target) (targetDoc, bool) {
	a := cat.AreaByID(t.AreaID)
	src := cat.Source(t.SourceID)
	if a == nil || src == nil {
		return targetDoc{}, false
	}
	d := targetDoc{ID: t.ID, City: a.Slug, CityName: a.Name, Country: a.CountryISO3, AreaKind: a.Kind,
		Kind: t.Kind, KindAsPrinted: t.KindAsPrinted, Role: t.Role, Summary: t.Summary(), Status: t.Status,
		StatusAsPrinted: t.StatusAsPrinted, StatusYear: metrics.IntOrNil(t.StatusYear), Gases: t.Gases, Sector: t.Sector,
		Boundary: t.Boundary, BaseYear: metrics.IntOrNil(t.BaseYear), TargetYear: metrics.IntOrNil(t.TargetYear),
		YearSet: metrics.IntOrNil(t.YearSet), ReportYear: t.ReportYear, Organisation: t.Organisation, Source: src.Code,
		SourceKind: src.Kind, SourceURL: t.SourceURL, Locator: t.Locator, Note: t.Note}
	if src.Withheld() {
		d.Withheld = true
		d.Note = "Figures withheld: " + src.RedistributionNote
		return d, true
	}
	d.BaseValue, d.BaseValueAsPrinted = metrics.FloatOrNil(t.BaseValue), t.BaseValueAsPrinted
	d.Percent, d.Level, d.LevelAsPrinted = metrics.FloatOrNil(t.Percent), metrics.FloatOrNil(t.Level), t.LevelAsPrinted
	d.BAUValue, d.IntensityUnit, d.AchievedReported = metrics.FloatOrNil(t.BAUValue), t.IntensityUnit, metrics.FloatOrNil(t.AchievedPercent)
	return d, true
}

func optInt(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func optFloat(p *float64) string {
	if p == nil {
		return ""
	}
	return metrics.FormatPlain(*p)
}

// record is the target's CSV row in targetColumns order, unguarded.
func (d targetDoc) record() []string {
	return []string{
		strconv.FormatInt(d.ID, 10), d.City, d.CityName, d.Country, d.AreaKind,
		d.Kind, d.KindAsPrinted, d.Role, d.Summary, d.Status, d.StatusAsPrinted, optInt(d.StatusYear),
		d.Gases, d.Sector, d.Boundary, optInt(d.BaseYear), optFloat(d.BaseValue), d.BaseValueAsPrinted,
		optInt(d.TargetYear), optFloat(d.Percent), optFloat(d.Level), d.LevelAsPrinted, optFloat(d.BAUValue), d.IntensityUnit,
		optFloat(d.AchievedReported), optInt(d.YearSet), strconv.Itoa(d.ReportYear), d.Organisation,
		d.Source, d.SourceKind, d.SourceURL, d.Locator, d.Note, strconv.FormatBool(d.Withheld),
	}
}

// guardedRecord is record with the spreadsheet formula guard applied to
// every text field.
func (d targetDoc) guardedRecord() []string {
	r := d.record()
	for i := range r {
		r[i] = guardFormula(r[i])
	}
	return r
}

// targetFilter reads the targets filters: city and pair (as for
// observations: a pair stands for its cities, their linked areas and
// countries), source, and kind.
func targetFilter(cat *metrics.Catalogue, sel metrics.Selection, kinds []string) metrics.TargetFilter {
	f := metrics.TargetFilter{AreaIDs: sel.Areas, SourceIDs: sel.Sources, Kinds: kinds}
	// A selected city's larger, merged areas carry targets of their own
	// (the Australian Capital Territory for Canberra).
	for _, id := range sel.Areas {
		for _, big := range cat.ContainedIn(id) {
			f.AreaIDs = append(f.AreaIDs, big.ID)
		}
	}
	return f
}

// listTargetsAPI answers /api/v1/targets: every current target of the
// selected areas, as JSON or CSV; with v, those current at that data
// version.
func (s *Server) listTargetsAPI(c echo.Context) error {
	q, p := dataParams(c, []string{"city", "pair", "source", "kind"})
	if p != nil {
		return p
	}
	asCSV, p := wantsCSV(c)
	if p != nil {
		return p
	}
	ctx, cat, err := s.catalogue(c)
	if err != nil {
		return err
	}
	sel, p := parseSelection(cat, q)
	if p != nil {
		return p
	}
	kinds := codes(q, "kind")
	for _, k := range kinds {
		if !slices.Contains(metrics.TargetKinds, k) {
			return badParam("kind", reasonUnknownKind.With(k, strings.Join(metrics.TargetKinds, ", ")))
		}
	}
	st, err := s.store.Stamp(ctx)
	if err != nil {
		return err
	}
	dataHeaders(c, st)
	ts, err := s.store.Targets(ctx, targetFilter(cat, sel, kinds))
	if err != nil {
		return err
	}
	var docs []targetDoc
	for _, t := range ts {
		if d, ok := newTargetDoc(cat, t); ok {
			docs = append(docs, d)
		}
	}
	if asCSV {
		c.Response().Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
		c.Response().Header().Set("Content-Disposition", `attachment; filename="twinmetrics-targets-v`+itoa64(st.Version)+`.csv"`)
		b := appendCSVRecord(nil, targetColumns)
		for _, d := range docs {
			b = appendCSVRecord(b, d.guardedRecord())
		}
		return c.Blob(http.StatusOK, "text/csv; charset=utf-8; header=present", b)
	}
	self := "/api/v1/targets"
	if enc := q.Encode(); enc != "" {
		self += "?" + enc
	}
	return writeJSONBody(c, listOf(st, self, docs))
}

// targetRecords lists the targets a download's selection covers (its
// areas and sources; years do not apply), guarded for spreadsheets, and
// counts their sources as used.
func (s *Server) targetRecords(c echo.Context, d *download, x *exportContext) ([][]string, error) {
	ts, err := s.store.Targets(c.Request().Context(), targetFilter(d.cat, d.sel, nil))
	if err != nil {
		return nil, err
	}
	var out [][]string
	for _, t := range ts {
		if doc, ok := newTargetDoc(d.cat, t); ok {
			x.used[t.SourceID] = true
			out = append(out, doc.guardedRecord())
		}
	}
	return out, nil
}

func targetsSchema() tableSchema {
	typed := map[string]string{"target_id": "integer", "status_year": "integer", "base_year": "integer", "base_value": "number",
		"target_year": "integer", "percent": "number", "level": "number", "bau_value": "number",
		"achieved_percent_reported": "number", "year_set": "integer", "report_year": "integer", "withheld": "boolean"}
	desc := map[string]string{
		"city_code":                 "Code of the area (cities resource).",
		"kind":                      "absolute, intensity, bau (below business as usual), fixed_level, net_zero, carbon_neutrality, other, or no_target (a dated statement).",
		"role":                      "end or interim, where the source says.",
		"status":                    "law, policy (in a policy document), pledge (declaration or pledge), proposed, or empty when the source does not say.",
		"base_value":                "Base-year emissions as printed, read as a number (t CO2e unless intensity_unit says otherwise).",
		"percent":                   "Reduction in percent.",
		"level":                     "For a fixed-level target, the level; otherwise the target-year emissions the source prints.",
		"achieved_percent_reported": "The share of the target the city reports as achieved (CDP), as reported: not computed.",
		"report_year":               "The year the source reported the target or the statement.",
		"source_code":               "Code of the source (sources resource).",
		"source_kind":               "reported, official or modelled.",
		"source_url":                "Where the source read the target.",
		"withheld":                  "True when the source's terms do not permit redistribution: the figures are left out.",
	}
	ts := keyedSchema(targetColumns, "target_id", typed, desc)
	ts.ForeignKeys = []tsForeignKey{
		{Fields: "city_code", Reference: map[string]any{"resource": "cities", "fields": "code"}},
		{Fields: "source_code", Reference: map[string]any{"resource": "sources", "fields": "code"}},
	}
	return ts
}
