package ingest

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// The mapping step: a file that no profile recognises is shown to staff
// as it is (its first rows), they say which line is the header and what
// each column holds, see the first rows read that way, and save the
// mapping as a profile of the long layout.

// Column roles in the mapping step.
const (
	RoleArea      = "area"
	RoleYear      = "year"
	RoleIndicator = "indicator"
	RoleValue     = "value"
	RoleUnit      = "unit"
	RoleSource    = "source"
	RoleFlags     = "flags"
	RoleNote      = "note"
	RoleIgnore    = "ignore"
)

// Roles lists the roles a column can have, in the order the page offers
// them.
var Roles = []string{RoleIgnore, RoleArea, RoleYear, RoleIndicator, RoleValue, RoleUnit, RoleSource, RoleFlags, RoleNote}

// roleColumns name the upload template's column a role fills; a note
// column is joined into the note, an ignored one fills none.
var roleColumns = map[string]string{RoleArea: "city", RoleYear: "year", RoleIndicator: "indicator", RoleValue: "value",
	RoleUnit: "unit", RoleSource: "source", RoleFlags: "flags"}

// SampleRow is one row of a file as it is, with its line (or sheet row).
type SampleRow struct {
	Line   int      `json:"line"`
	Fields []string `json:"fields"`
}

// Sample is the start of a file, read without assuming any layout.
type Sample struct {
	Format string `json:"format"`
	// Sheet is the sheet read, Sheets all of the workbook's.
	Sheet  string      `json:"sheet,omitempty"`
	Sheets []string    `json:"sheets,omitempty"`
	Comma  string      `json:"delimiter,omitempty"`
	Rows   []SampleRow `json:"rows"`
	// Width is the number of columns of the widest row.
	Width int `json:"width"`
}

// Row returns the sample row at a line, or nil.
func (s *Sample) Row(line int) []string {
	for _, r := range s.Rows {
		if r.Line == line {
			return r.Fields
		}
	}
	return nil
}

// maxSampleCell is the most of a cell the page shows; maxSampleBytes the
// most of a CSV file the sample reads.
const (
	maxSampleCell  = 200
	maxSampleBytes = 8 << 20
)

// SampleOf reads the first lines (at most n non-empty ones) of a
// pending upload's file: for a workbook, of the named sheet (empty: the
// first). A file that cannot be read at all is a FileError.
func (u *Uploader) SampleOf(key, sheet string, n int) (*Sample, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("upload %q: %w", key, metrics.ErrNotFound)
	}
	path, err := u.original(context.Background(), key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("upload %s: %w", key, metrics.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	head := make([]byte, 64<<10)
	m, _ := io.ReadFull(f, head)
	f.Close()
	format, ferr := sniff(head[:m], key)
	if ferr != nil {
		return nil, ferr
	}
	s := &Sample{Format: format}
	if format == "xlsx" {
		err = sampleXLSX(path, sheet, n, u.limits, s)
	} else {
		err = sampleCSV(path, head[:m], n, s)
	}
	if err != nil {
		return nil, err
	}
	for _, r := range s.Rows {
		s.Width = max(s.Width, len(r.Fields))
	}
	for i := range s.Rows {
		for len(s.Rows[i].Fields) < s.Width {
			s.Rows[i].Fields = append(s.Rows[i].Fields, "")
		}
	}
	return s, nil
}

func sampleCell(v string) string {
	v = strings.TrimSpace(strings.ToValidUTF8(v, "\uFFFD"))
	if r := []rune(v); len(r) > maxSampleCell {
		v = string(r[:maxSampleCell]) + "…"
	}
	return v
}

// sniffComma chooses the delimiter that splits the first lines into the
// most columns, the same number on most lines.
func sniffComma(head []byte) rune {
	best, bestScore := ',', -1
	for _, c := range []rune{',', ';', '\t'} {
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(head), "\ufeff")))
		r.Comma, r.FieldsPerRecord, r.LazyQuotes = c, -1, true
		counts := map[int]int{}
		for i := 0; i < 20; i++ {
			rec, err := r.Read()
			if err != nil {
				break
			}
			if len(rec) > 1 {
				counts[len(rec)]++
			}
		}
		score := 0
		for width, lines := range counts {
			score = max(score, width*lines)
		}
		if score > bestScore {
			best, bestScore = c, score
		}
	}
	return best
}

func sampleCSV(path string, head []byte, n int, s *Sample) error {
	comma := sniffComma(head)
	s.Comma = string(comma)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// The first lines are all the page shows: a quote left open, which
	// would make the rest of the file one field, reads at most this much.
	br := bufio.NewReader(io.LimitReader(f, maxSampleBytes))
	if bom, _ := br.Peek(3); string(bom) == "\ufeff" {
		br.Discard(3)
	}
	r := csv.NewReader(br)
	r.Comma, r.FieldsPerRecord, r.LazyQuotes = comma, -1, true
	for len(s.Rows) < n {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) || err == io.ErrUnexpectedEOF {
				break // the rows before the bad one are still shown
			}
			return err
		}
		line, _ := r.FieldPos(0)
		s.addRow(line, rec)
	}
	return nil
}

// addRow keeps a line of the file as the sample shows it; blank lines
// are left out.
func (s *Sample) addRow(line int, fields []string) {
	if blankFields(fields) {
		return
	}
	row := SampleRow{Line: line, Fields: make([]string, len(fields))}
	for i, v := range fields {
		row.Fields[i] = sampleCell(v)
	}
	s.Rows = append(s.Rows, row)
}

func blankFields(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

func sampleXLSX(path, sheet string, n int, lim Limits, s *Sample) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fileErr("xlsx_damaged", fileXLSXDamaged.With(), fileHintSaveAs.With())
		}
	}()
	if ferr, gerr := checkXLSXArchive(path, lim); ferr != nil || gerr != nil {
		if ferr != nil {
			return ferr
		}
		return gerr
	}
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: maxXLSXUnpacked(lim), UnzipXMLSizeLimit: xlsxTempPart})
	if err != nil {
		return fileErr("xlsx_damaged", fileXLSXUnopenable.With(), fileHintSaveAs.With())
	}
	defer f.Close()
	s.Sheets = f.GetSheetList()
	s.Sheet = ""
	for _, name := range s.Sheets {
		if name == sheet {
			s.Sheet = name
		}
	}
	if s.Sheet == "" {
		for _, name := range s.Sheets {
			if !templateInfoSheets[strings.ToLower(name)] {
				s.Sheet = name
				break
			}
		}
	}
	if s.Sheet == "" {
		return fileErr("xlsx_no_sheet", fileXLSXNoSheet.With(), fileHintXLSXNoSheet.With())
	}
	rows, err := f.Rows(s.Sheet)
	if err != nil {
		return fileErr("xlsx_damaged", fileXLSXSheetDamaged.With(s.Sheet), fileHintSaveAs.With())
	}
	defer rows.Close()
	line := 0
	for len(s.Rows) < n && rows.Next() {
		line++
		cols, err := rows.Columns()
		if err != nil {
			break
		}
		s.addRow(line, cols)
	}
	return nil
}

// Mapping is what staff said about a file in the mapping step: the
// header line, each column's role, and the indicator, unit, source and
// year where one holds for the whole file.
type Mapping struct {
	Sheet      string
	HeaderLine int
	// Roles holds each column's role, by position (missing: ignore).
	Roles     []string
	Indicator string // an indicator code, when no column holds it
	Unit      string // a unit, when no column holds it
	Source    string // a source code, when no column holds it
	Year      int    // a year, when no column holds it
}

// MappingError says what is missing or wrong in a mapping, by field
// ("roles", "indicator", "header_line").
type MappingError struct {
	Fields map[string]locale.Message
}

func (e *MappingError) Error() string {
	var parts []string
	for f, m := range e.Fields {
		parts = append(parts, f+": "+locale.English(m))
	}
	sort.Strings(parts)
	return "mapping: " + strings.Join(parts, "; ")
}

// roleNames are the roles as the page names them.
var roleNames = map[string]locale.Key{
	RoleIgnore: locale.Define("map.role.ignore"), RoleArea: locale.Define("map.role.area"), RoleYear: locale.Define("map.role.year"),
	RoleIndicator: locale.Define("map.role.indicator"), RoleValue: locale.Define("map.role.value"), RoleUnit: locale.Define("map.role.unit"),
	RoleSource: locale.Define("map.role.source"), RoleFlags: locale.Define("map.role.flags"), RoleNote: locale.Define("map.role.note"),
}

// RoleName is a role as the page names it.
func RoleName(role string) locale.Message { return roleNames[role].With() }

// columnsWith lists the columns that have a role.
func (m Mapping) columnsWith(role string) []int {
	var out []int
	for i, r := range m.Roles {
		if r == role {
			out = append(out, i)
		}
	}
	return out
}

// Check says what is missing in the mapping for a file whose header
// line holds header; nil when the mapping can read the file.
func (m Mapping) Check(header []string, cat *metrics.Catalogue) *MappingError {
	bad := map[string]locale.Message{}
	add := func(field string, m locale.Message) {
		if _, ok := bad[field]; !ok {
			bad[field] = m
		}
	}
	if header == nil {
		add("header_line", mapErrHeaderLine.With())
	}
	one := func(role string, constant bool, field string) {
		n := len(m.columnsWith(role))
		switch {
		case n > 1:
			add("roles", mapErrRoleTwice.With(RoleName(role)))
		case n == 0 && !constant:
			add(field, mapErrRoleNone.With(RoleName(role)))
		}
	}
	one(RoleArea, false, "roles")
	one(RoleValue, false, "roles")
	one(RoleYear, m.Year != 0, "year")
	one(RoleIndicator, m.Indicator != "", "indicator")
	one(RoleSource, m.Source != "", "source")
	one(RoleFlags, true, "roles")
	unitCols := len(m.columnsWith(RoleUnit))
	if unitCols > 1 {
		add("roles", mapErrRoleTwice.With(RoleName(RoleUnit)))
	}
	if unitCols == 0 && m.Unit == "" && m.Indicator == "" {
		add("unit", mapErrRoleNone.With(RoleName(RoleUnit)))
	}
	if m.Year != 0 && (m.Year < 1900 || m.Year > 2100) {
		add("year", mapErrYear.With())
	}
	if m.Indicator != "" && len(m.columnsWith(RoleIndicator)) == 0 {
		if _, err := cat.Indicator(m.Indicator); err != nil {
			add("indicator", mapErrIndicator.With(m.Indicator))
		}
	}
	if m.Unit != "" && unitCols == 0 {
		if _, ok := metrics.LookupUnit(m.Unit); !ok {
			add("unit", mapErrUnit.With(m.Unit))
		}
	}
	if m.Source != "" && len(m.columnsWith(RoleSource)) == 0 {
		if _, err := cat.SourceByCode(m.Source); err != nil {
			add("source", mapErrSource.With(m.Source))
		}
	}
	// A profile names columns by their header: each used column needs a
	// name of its own.
	seen := map[string]int{}
	for i, r := range m.Roles {
		if r == "" || r == RoleIgnore || header == nil {
			continue
		}
		name := ""
		if i < len(header) {
			name = strings.TrimSpace(header[i])
		}
		if name == "" {
			add("roles", mapErrUnnamed.With(columnLetter(i)))
			continue
		}
		if j, dup := seen[strings.ToLower(name)]; dup {
			add("roles", mapErrSameName.With(columnLetter(i), columnLetter(j), name))
		}
		seen[strings.ToLower(name)] = i
	}
	if len(bad) == 0 {
		return nil
	}
	return &MappingError{Fields: bad}
}

// MappedRow is one row of the file as the mapping reads it, checked as
// an upload's row is.
type MappedRow struct {
	Line      int       `json:"line"`
	Status    string    `json:"status"`
	Area      string    `json:"area"`
	AreaName  string    `json:"area_matched,omitempty"`
	Indicator string    `json:"indicator"`
	Year      string    `json:"year"`
	Value     string    `json:"value"`
	Unit      string    `json:"unit"`
	Stored    *float64  `json:"value_stored,omitempty"`
	StoredIn  string    `json:"unit_stored,omitempty"`
	Old       *float64  `json:"old_value,omitempty"`
	Source    string    `json:"source"`
	Flags     string    `json:"flags,omitempty"`
	Note      string    `json:"note,omitempty"`
	Problems  []Problem `json:"problems,omitempty"`
}

// templateRow rearranges a file's row into the template's columns, as
// the mapping reads it.
func (m Mapping) templateRow(header, fields []string, defUnit string) []string {
	out := make([]string, len(templateColumns))
	put := func(col, v string) {
		for i, c := range templateColumns {
			if c == col {
				out[i] = v
			}
		}
	}
	cell := func(i int) string {
		if i < len(fields) {
			return strings.TrimSpace(fields[i])
		}
		return ""
	}
	put("indicator", m.Indicator)
	put("unit", m.Unit)
	if m.Unit == "" {
		put("unit", defUnit)
	}
	put("source", m.Source)
	if m.Year != 0 {
		put("year", strconv.Itoa(m.Year))
	}
	var notes []string
	for i, r := range m.Roles {
		if col := roleColumns[r]; col != "" {
			put(col, cell(i))
		} else if r == RoleNote {
			if v := cell(i); v != "" && i < len(header) {
				notes = append(notes, strings.TrimSpace(header[i])+": "+v)
			}
		}
	}
	put("note", strings.Join(notes, "; "))
	return out
}

// PreviewMapping reads the first n data rows of a pending upload as the
// mapping says and checks them as an upload's rows are checked (area,
// indicator, year, value, unit converted, against the stored values).
// Nothing is stored.
func (u *Uploader) PreviewMapping(ctx context.Context, key string, m Mapping, n int) (*Sample, []MappedRow, *MappingError, error) {
	s, err := u.SampleOf(key, m.Sheet, m.HeaderLine+n+50)
	if err != nil {
		return nil, nil, nil, err
	}
	cat, err := u.store.Catalogue(ctx)
	if err != nil {
		return s, nil, nil, err
	}
	head := s.Row(m.HeaderLine)
	if merr := m.Check(head, cat); merr != nil {
		return s, nil, merr, nil
	}
	comma := ','
	if s.Comma == ";" {
		comma = ';'
	}
	ck := newChecker(cat, comma, u.now().Year())
	ck.readExisting(ctx, u.store)
	defUnit := ""
	if ind, err := cat.Indicator(m.Indicator); err == nil && len(m.columnsWith(RoleIndicator)) == 0 {
		defUnit = ind.Unit
	}
	th := header{idx: map[string]int{}, names: templateColumns, comma: comma}
	for i, c := range templateColumns {
		th.idx[c] = i
	}
	// A problem names the file's column, not the template's.
	fileColumn := map[string]string{}
	for i, r := range m.Roles {
		if col := roleColumns[r]; col != "" && i < len(head) {
			fileColumn[col] = head[i]
		}
	}
	var out []MappedRow
	for _, row := range s.Rows {
		if row.Line <= m.HeaderLine {
			continue
		}
		if len(out) == n {
			break
		}
		fields := m.templateRow(head, row.Fields, defUnit)
		r := ck.row(row.Line, th, fields)
		if ck.loadErr != nil {
			return s, nil, nil, ck.loadErr
		}
		mr := MappedRow{Line: row.Line, Status: r.Status, Area: r.City, Indicator: r.Indicator, Year: th.get(fields, "year"),
			Value: r.ValueAsGiven, Unit: r.UnitAsGiven, Source: r.Source, Flags: r.Flags, Note: r.Note}
		if a := cat.AreaByID(r.AreaID); a != nil {
			mr.AreaName = a.Name
		}
		if ind := cat.IndicatorByID(r.IndicatorID); ind != nil && r.Status != RowRejected {
			mr.Indicator = ind.Code
			v := r.Value
			mr.Stored, mr.StoredIn = &v, metrics.UnitLabel(ind.Unit)
		}
		mr.Old = r.OldValue
		if src := cat.Source(r.SourceID); src != nil {
			mr.Source = src.Code
		}
		for _, p := range r.Problems {
			if c, ok := fileColumn[p.Column]; ok {
				p.Column = c
			}
			mr.Problems = append(mr.Problems, p)
		}
		out = append(out, mr)
	}
	return s, out, nil, nil
}

// ProfileOf writes the mapping as an import profile of the long layout,
// named name, for the file the sample was read from; the profile is
// checked as any other (ParseProfile). Where a column holds the
// indicator or the source, its crosswalk lists the values of the
// sampled rows that name one; the engine skips and counts the others.
func (m Mapping) ProfileOf(name, title string, s *Sample, cat *metrics.Catalogue) ([]byte, error) {
	head := s.Row(m.HeaderLine)
	if merr := m.Check(head, cat); merr != nil {
		return nil, merr
	}
	w := profileWriter{m: m, head: head, s: s, cat: cat, ck: newChecker(cat, ',', 0)}
	p := Profile{FormatVersion: ProfileFormatVersion, Name: name, Version: 1, Title: strings.TrimSpace(title),
		Description: "Made in the mapping step from the file's header line.",
		Read:        ReadSpec{Format: s.Format, Sheet: s.Sheet, HeaderLine: m.HeaderLine, Delimiter: s.Comma},
		Layout:      LayoutSpec{Kind: LayoutLong},
		Area:        AreaSpec{Columns: []Column{w.col(RoleArea)}},
		Value:       ValueSpec{Column: w.col(RoleValue), DecimalComma: s.Comma == ";"},
	}
	if s.Format == "xlsx" {
		p.Read.Delimiter = ""
	} else {
		p.Read.Sheet = ""
	}
	for _, h := range head {
		if h = strings.TrimSpace(h); h != "" && len(p.Recognise.Columns) < 40 {
			p.Recognise.Columns = append(p.Recognise.Columns, h)
		}
	}
	if c := w.col(RoleYear); c != nil {
		p.Year = &YearSpec{Column: c}
	} else {
		p.Year = &YearSpec{Constant: m.Year}
	}
	p.Indicator, p.Unit, p.Source, p.Flags = w.indicator(), w.unit(), w.source(), w.flags()
	for _, i := range m.columnsWith(RoleNote) {
		if p.Note == nil {
			p.Note = &NoteSpec{}
		}
		p.Note.Columns = append(p.Note.Columns, Column{strings.TrimSpace(head[i])})
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	if _, err := ParseProfile(b); err != nil {
		return nil, err
	}
	return b, nil
}

// profileWriter writes the parts of a mapping's profile, for the file
// whose header line is head.
type profileWriter struct {
	m    Mapping
	head []string
	s    *Sample
	cat  *metrics.Catalogue
	ck   *checker
}

// col is the column the mapping gives a role, by its header, or nil.
func (w profileWriter) col(role string) Column {
	if cs := w.m.columnsWith(role); len(cs) > 0 {
		return Column{strings.TrimSpace(w.head[cs[0]])}
	}
	return nil
}

// values lists the distinct values of a role's column below the header,
// with what they resolve to.
func (w profileWriter) values(role string, resolve func(string) string) map[string]string {
	cs := w.m.columnsWith(role)
	if len(cs) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, r := range w.s.Rows {
		if r.Line <= w.m.HeaderLine || cs[0] >= len(r.Fields) {
			continue
		}
		v := strings.TrimSpace(r.Fields[cs[0]])
		if _, done := out[v]; v == "" || done {
			continue
		}
		if code := resolve(v); code != "" {
			out[v] = code
		}
	}
	return out
}

// indicator is a column with a crosswalk of the names it holds, or the
// mapping's one indicator.
func (w profileWriter) indicator() *IndicatorSpec {
	c := w.col(RoleIndicator)
	if c == nil {
		return &IndicatorSpec{Constant: w.m.Indicator}
	}
	return &IndicatorSpec{Column: c, Map: w.values(RoleIndicator, func(v string) string {
		if ind, prob := w.ck.indicator(v); prob == nil {
			return ind.Code
		}
		return ""
	})}
}

// unit is a column, the mapping's unit, or the indicator's.
func (w profileWriter) unit() *UnitSpec {
	if c := w.col(RoleUnit); c != nil {
		return &UnitSpec{Column: c}
	}
	if w.m.Unit != "" {
		u, _ := metrics.LookupUnit(w.m.Unit)
		return &UnitSpec{Constant: u.Code}
	}
	ind, _ := w.cat.Indicator(w.m.Indicator)
	return &UnitSpec{Constant: ind.Unit}
}

// source is a column with a crosswalk of the sources it names, or the
// mapping's one source.
func (w profileWriter) source() SourceSpec {
	c := w.col(RoleSource)
	if c == nil {
		return SourceSpec{Code: w.m.Source}
	}
	return SourceSpec{Column: c, Map: w.values(RoleSource, func(v string) string {
		if src := w.ck.source(v); src != nil {
			return src.Code
		}
		return ""
	})}
}

// flags is the flags column, if any, with a crosswalk of every flag code
// and of the sampled values that read as one flag.
func (w profileWriter) flags() *FlagSpec {
	c := w.col(RoleFlags)
	if c == nil {
		return nil
	}
	fm := map[string]string{}
	for _, f := range w.cat.Flags {
		fm[f.Code] = f.Code
	}
	for v, code := range w.values(RoleFlags, func(v string) string {
		if codes, prob := w.ck.flags(v); prob == nil && !strings.ContainsAny(codes, ";|,") {
			return codes
		}
		return ""
	}) {
		fm[v] = code
	}
	return &FlagSpec{Column: c, Map: fm}
}
