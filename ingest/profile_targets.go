package ingest

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/twinmetrics/twinmetrics/data"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// OutputTargets is the output kind of a profile whose rows are climate
// targets, not observations: the Net Zero Tracker's snapshot, CDP's
// emissions-reduction targets.
const OutputTargets = "targets"

// TargetsSpec says how a targets profile maps each row to one or more
// targets. The reading keys (read, recognise, area, source, filters)
// are those of any profile.
type TargetsSpec struct {
	// ReportYear is the year the source reported the row (a column,
	// also as a date, or a constant).
	ReportYear YearSpec `json:"report_year"`
	// ActorType, where the file lists other actors than areas
	// (companies), keeps the rows whose type it maps.
	ActorType *ActorTypeSpec `json:"actor_type,omitempty"`
	// Organisation is the reporting actor as printed.
	Organisation Column `json:"organisation,omitempty"`
	// Note is a template: {column} is the row's cell of that column.
	Note string `json:"note,omitempty"`
	// Each maps one target of the row: the tracker prints an end and an
	// interim target side by side.
	Each []TargetFields `json:"each"`
}

// ActorTypeSpec maps the actor types a file prints to "city", "region"
// or "country"; rows of any other type are not areas and are skipped.
// A country row is matched by its ISO3 code in area.country_column.
type ActorTypeSpec struct {
	Column Column            `json:"column"`
	Map    map[string]string `json:"map"`
}

// TargetFields names the columns of one target. Kind comes from a
// column read through the kind words (absolute, intensity, business as
// usual, fixed level, net zero, neutrality, no target, other) or is a
// constant; a row whose kind is blank states nothing and is skipped, as
// is a target with no base year, percentage, target year or level.
type TargetFields struct {
	Role          string   `json:"role,omitempty"`
	Kind          Column   `json:"kind,omitempty"`
	KindConstant  string   `json:"kind_constant,omitempty"`
	Status        Column   `json:"status,omitempty"`
	StatusYear    Column   `json:"status_year,omitempty"`
	Gases         Column   `json:"gases,omitempty"`
	Sector        Column   `json:"sector,omitempty"`
	Boundary      []Column `json:"boundary,omitempty"`
	BaseYear      Column   `json:"base_year,omitempty"`
	BaseValue     Column   `json:"base_value,omitempty"`
	TargetYear    Column   `json:"target_year,omitempty"`
	Percent       Column   `json:"percent,omitempty"`
	Level         Column   `json:"level,omitempty"`
	BAUValue      Column   `json:"bau_value,omitempty"`
	IntensityUnit Column   `json:"intensity_unit,omitempty"`
	Achieved      Column   `json:"achieved_percent,omitempty"`
	YearSet       Column   `json:"year_set,omitempty"`
	SourceURL     Column   `json:"source_url,omitempty"`
	// Locator is a template like Note; {_line} is the row's line and
	// {_sheet} its sheet.
	Locator string `json:"locator,omitempty"`
}

var actorTypes = map[string]bool{"city": true, "region": true, "country": true}

func (p *Profile) validateTargets(bad func(key, format string, args ...any)) {
	t := p.Targets
	if t == nil {
		bad("targets", "is required with output %q: how each row maps to targets", OutputTargets)
		return
	}
	p.validateYear(&t.ReportYear, "targets.report_year", true, bad)
	if t.ActorType != nil {
		if t.ActorType.Column == nil {
			bad("targets.actor_type.column", "is required")
		}
		for k, v := range t.ActorType.Map {
			if !actorTypes[v] {
				bad(fmt.Sprintf("targets.actor_type.map[%q]", k), "must be city, region or country")
			}
		}
	}
	if len(t.Each) == 0 {
		bad("targets.each", "is required: one entry per target a row holds")
	}
	for i, f := range t.Each {
		k := fmt.Sprintf("targets.each[%d]", i)
		if (f.Kind == nil) == (f.KindConstant == "") {
			bad(k+".kind", "give either kind (a column) or kind_constant")
		}
		if f.KindConstant != "" && !validTargetKind(f.KindConstant) {
			bad(k+".kind_constant", "must be one of %s", strings.Join(metrics.TargetKinds, ", "))
		}
		switch f.Role {
		case "", "end", "interim":
		default:
			bad(k+".role", "must be end or interim")
		}
	}
	if p.Source.Code == "" {
		bad("source.code", "is required: the catalogue source of the targets")
	}
	if len(p.Area.Columns) == 0 && p.Area.OrganisationColumn == nil {
		bad("area.columns", "is required: the column(s) naming the area")
	}
	if len(p.Recognise.Columns) == 0 {
		bad("recognise.columns", "is required: the column names that identify this layout")
	}
	for _, kind := range []string{p.Layout.Kind} {
		if kind != "" && kind != LayoutLong {
			bad("layout.kind", "a targets profile reads one row at a time: long")
		}
	}
}

func validTargetKind(k string) bool { return slices.Contains(metrics.TargetKinds, k) }

// ShippedTargetProfiles are the shipped profiles whose output is
// targets.
func ShippedTargetProfiles() ([]*Profile, error) {
	all, err := LoadProfiles(data.Profiles, "profiles")
	if err != nil {
		return nil, err
	}
	var out []*Profile
	for _, p := range all {
		if p.Output == OutputTargets {
			out = append(out, p)
		}
	}
	return out, nil
}

var templateRe = regexp.MustCompile(`\{([^{}]+)\}`)

// ReadTargetsWith reads a file with a targets profile. It reports
// ErrNotTargets when the file's header is not the profile's.
func ReadTargetsWith(p *Profile, path, format string) ([]TargetRow, error) {
	return readTargetsWith(p, path, format)
}

// readTargetsWith reads a file with a targets profile. A row whose
// report year, or one of whose numbers or years, is printed but cannot
// be read comes back with its problems and no target: it is rejected,
// never stored with the number left out.
func readTargetsWith(p *Profile, path, format string) ([]TargetRow, error) {
	var read int64
	ps, ferr, err := openForProfile(path, format, p, DefaultLimits, &read)
	if err != nil {
		return nil, err
	}
	if ferr != nil {
		return nil, ErrNotTargets
	}
	defer ps.Close()
	if missing, unwanted := p.matches(ps.header); len(missing) > 0 || len(unwanted) > 0 {
		return nil, ErrNotTargets
	}
	r := &targetReader{p: p, ps: ps}
	r.keeps = r.filters()
	var out []TargetRow
	for {
		line, fields, err := ps.src.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = r.appendRow(out, line, fields)
	}
}

// targetReader reads the rows of one file with a targets profile.
type targetReader struct {
	p     *Profile
	ps    *profileSource
	keeps []func([]string) bool
}

// col is the index of a column of the file, -1 if not there.
func (r *targetReader) col(c Column) int {
	if c == nil {
		return -1
	}
	i, _ := r.ps.header.find(c)
	return i
}

func (r *targetReader) get(fields []string, c Column) string { return cell(fields, r.col(c)) }

// columnName is a column's name as the file prints it.
func (r *targetReader) columnName(c Column) string {
	if i := r.col(c); i >= 0 && i < len(r.ps.header.names) {
		return r.ps.header.names[i]
	}
	return strings.Join(c, " / ")
}

// fill writes a row's cells into a locator or note template.
func (r *targetReader) fill(tmpl string, line int, fields []string) string {
	return templateRe.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[1 : len(m)-1]
		switch name {
		case "_line":
			return fmt.Sprint(line)
		case "_sheet":
			return r.ps.sheet
		}
		return printed(r.get(fields, Column{name}))
	})
}

// filters are the profile's filters, each true for a row it keeps.
func (r *targetReader) filters() []func([]string) bool {
	var keeps []func([]string) bool
	for _, f := range r.p.Filters {
		i := r.col(f.Column)
		keep, drop := map[string]bool{}, f.Drop
		for _, k := range f.Keep {
			keep[k] = true
		}
		keeps = append(keeps, func(fields []string) bool {
			v := cell(fields, i)
			if len(f.Keep) > 0 && !keep[v] {
				return false
			}
			return !slices.Contains(drop, v)
		})
	}
	return keeps
}

// appendRow appends what one row of the file states: a target per
// target the profile's "each" finds in it, or the row with its problems.
func (r *targetReader) appendRow(out []TargetRow, line int, fields []string) []TargetRow {
	for _, k := range r.keeps {
		if !k(fields) {
			return out
		}
	}
	row, ok := r.about(line, fields)
	if !ok {
		return out
	}
	t := r.p.Targets
	var ry int
	if t.ReportYear.Constant != 0 {
		ry = t.ReportYear.Constant
	} else if y, ok := parseYearAs(r.get(fields, t.ReportYear.Column), &t.ReportYear); ok {
		ry = y
	} else {
		if v := printed(r.get(fields, t.ReportYear.Column)); v != "" {
			row.Problems = append(row.Problems, *problem(r.columnName(t.ReportYear.Column), v, probNotAYear.With(v), hintNotAYear.With()))
			out = append(out, row)
		}
		return out
	}
	for _, f := range t.Each {
		if tr, ok := r.target(row, f, ry, line, fields); ok {
			out = append(out, tr)
		}
	}
	return out
}

// about is who a row is about: the names and country of its area. A row
// about another kind of actor (a company) is not read.
func (r *targetReader) about(line int, fields []string) (TargetRow, bool) {
	p, t := r.p, r.p.Targets
	actor := ""
	if t.ActorType != nil {
		actor = t.ActorType.Map[r.get(fields, t.ActorType.Column)]
		if actor == "" {
			return TargetRow{}, false // not an area (a company)
		}
	}
	var names []string
	if p.Area.OrganisationColumn != nil {
		names = append(names, printed(r.get(fields, p.Area.OrganisationColumn)))
	}
	for _, c := range p.Area.Columns {
		names = append(names, printed(r.get(fields, c)))
	}
	names = withParenthesised(nonEmpty(names...))
	country := printed(r.get(fields, p.Area.CountryColumn))
	row := TargetRow{Names: names, SourceCode: p.Source.Code, Line: line, Sheet: r.ps.sheet}
	switch actor {
	case "city":
		row.ActorType = "City"
	case "region":
		row.ActorType = "Region"
	case "country":
		row.ActorType = "Country"
	}
	if len(country) == 3 && strings.ToUpper(country) == country {
		row.Country = country
	}
	return row, true
}

// target reads the target that f finds in a row reported in year ry. A
// row that states no target there gives none; one whose numbers or years
// cannot be read gives the row with its problems.
func (r *targetReader) target(row TargetRow, f TargetFields, ry, line int, fields []string) (TargetRow, bool) {
	t := r.p.Targets
	get := func(c Column) string { return r.get(fields, c) }
	kindText := printed(get(f.Kind))
	kind := f.KindConstant
	if kind == "" {
		kind = targetKind(kindText)
	}
	if kind == "" {
		return row, false // states nothing
	}
	tg := metrics.Target{Kind: kind, KindAsPrinted: kindText, Role: f.Role, ReportYear: ry,
		Gases: printed(get(f.Gases)), Sector: printed(get(f.Sector)),
		Organisation: printed(get(t.Organisation)), SourceURL: printed(get(f.SourceURL)),
		Locator: r.fill(f.Locator, line, fields), Note: r.fill(t.Note, line, fields)}
	var bounds []string
	for _, b := range f.Boundary {
		bounds = append(bounds, printed(get(b)))
	}
	tg.Boundary = strings.Join(nonEmpty(bounds...), "; ")
	row.Target = tg
	if kind == metrics.TargetNone {
		return row, true
	}
	// A number or year printed but unreadable is a problem of the row,
	// named with its column and text.
	var probs []Problem
	num := func(c Column) sql.NullFloat64 {
		v := number(get(c))
		if txt := printed(get(c)); !v.Valid && txt != "" {
			probs = append(probs, *problem(r.columnName(c), txt, probNotANumber.With(txt), hintNotANumber.With()))
		}
		return v
	}
	yr := func(c Column) sql.NullInt64 {
		v := year(get(c))
		if txt := printed(get(c)); !v.Valid && txt != "" {
			probs = append(probs, *problem(r.columnName(c), txt, probNotAYear.With(txt), hintNotAYear.With()))
		}
		return v
	}
	tg.BaseYear = yr(f.BaseYear)
	tg.BaseValueAsPrinted = printed(get(f.BaseValue))
	tg.BaseValue = number(tg.BaseValueAsPrinted)
	tg.Percent = num(f.Percent)
	tg.TargetYear = yr(f.TargetYear)
	tg.LevelAsPrinted = printed(get(f.Level))
	tg.Level = number(tg.LevelAsPrinted)
	tg.BAUValue = number(get(f.BAUValue))
	tg.IntensityUnit = printed(get(f.IntensityUnit))
	tg.AchievedPercent = num(f.Achieved)
	tg.YearSet = yr(f.YearSet)
	tg.StatusAsPrinted = printed(get(f.Status))
	tg.Status = targetStatus(tg.StatusAsPrinted)
	tg.StatusYear = year(get(f.StatusYear))
	row.Target = tg
	if len(probs) > 0 {
		row.Problems = probs
		return row, true
	}
	// A kind with nothing else printed states no target.
	return row, tg.BaseYear.Valid || tg.Percent.Valid || tg.TargetYear.Valid || tg.Level.Valid
}

// withParenthesised adds the parts of a name like "Makassar (Ujung
// Pandang)" or "Port Elizabeth (Nelson Mandela Bay)": the part in
// parentheses, then the part before them.
func withParenthesised(names []string) []string {
	out := append([]string(nil), names...)
	for _, n := range names {
		if open, close := strings.Index(n, "("), strings.LastIndex(n, ")"); open > 0 && close > open {
			out = append(out, strings.TrimSpace(n[open+1:close]), strings.TrimSpace(n[:open]))
		}
	}
	return out
}

// readTargetsProfiles reads a targets file with the first shipped
// targets profile whose header signature it has.
func readTargetsProfiles(name string, b []byte) (TargetProfile, []TargetRow, error) {
	ps, err := ShippedTargetProfiles()
	if err != nil {
		return "", nil, err
	}
	format := "csv"
	if len(b) > 1 && b[0] == 'P' && b[1] == 'K' {
		format = "xlsx"
	}
	dir, err := os.MkdirTemp("", "targets-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "upload."+format)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", nil, err
	}
	SortProfiles(ps)
	for _, p := range ps {
		if p.Read.Format != format {
			continue
		}
		rows, err := readTargetsWith(p, path, format)
		if errors.Is(err, ErrNotTargets) {
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("%s read with profile %s: %w", name, p.Name, err)
		}
		return TargetProfile(p.Name), rows, nil
	}
	return "", nil, ErrNotTargets
}
