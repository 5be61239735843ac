package ingest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/twinmetrics/twinmetrics/data"
	"github.com/xuri/excelize/v2"
)

// An import profile says how one publisher's file layout is read and
// mapped to observations: which sheet and header line, how the file is
// recognised, the layout, and where the area, year, indicator, value,
// unit, source, flags and note of each value come from. Profiles are
// declarative JSON documents (docs/import-profiles.md, the schema in
// profile.schema.json); shipped ones live in data/profiles/.

// ProfileFormatVersion is the version of the profile format this code
// reads. A profile states it in format_version.
const ProfileFormatVersion = 1

// ProfileSchema is the JSON Schema of the profile format.
//
//go:embed profile.schema.json
var ProfileSchema []byte

// Layout kinds.
const (
	LayoutLong          = "long"            // one value per row
	LayoutWideByYear    = "wide_by_year"    // one column per year
	LayoutWideByMeasure = "wide_by_measure" // one column per indicator, the row's year for all
	LayoutMultiMeasure  = "multi_measure"   // several measures per row, each with its own year, unit, flags, note
)

// Output kinds: what a profile produces from each value.
const (
	OutputObservations = "observations"
)

// Profile is one publisher layout.
type Profile struct {
	FormatVersion int    `json:"format_version"`
	Name          string `json:"name"`
	Version       int    `json:"version"`
	Title         string `json:"title"`
	Publisher     string `json:"publisher,omitempty"`
	Description   string `json:"description,omitempty"`
	// Output is what the rows become; "observations" unless stated.
	Output    string         `json:"output,omitempty"`
	Read      ReadSpec       `json:"read"`
	Recognise RecogniseSpec  `json:"recognise"`
	Layout    LayoutSpec     `json:"layout"`
	Area      AreaSpec       `json:"area"`
	Year      *YearSpec      `json:"year,omitempty"`
	Indicator *IndicatorSpec `json:"indicator,omitempty"`
	Value     ValueSpec      `json:"value"`
	Unit      *UnitSpec      `json:"unit,omitempty"`
	Measures  []MeasureSpec  `json:"measures,omitempty"`
	Source    SourceSpec     `json:"source"`
	Flags     *FlagSpec      `json:"flags,omitempty"`
	Note      *NoteSpec      `json:"note,omitempty"`
	Filters   []FilterSpec   `json:"filters,omitempty"`
	// Targets maps each row to climate targets (output "targets",
	// profile_targets.go).
	Targets *TargetsSpec `json:"targets,omitempty"`
	// Repeats: "keep" keeps every row that repeats an area, indicator,
	// year and source (a database listing one city twice for a year,
	// from two references) as a value of its own; "reject" (the
	// default) rejects the later ones as duplicates.
	Repeats string `json:"repeats,omitempty"`
}

// ReadSpec says how the file is read.
type ReadSpec struct {
	Format string `json:"format"` // csv or xlsx
	// Sheet names the workbook sheet holding the data (xlsx), or
	// SheetPattern, a regular expression, the sheets read one after
	// the other (a table split into one sheet per indicator).
	Sheet        string `json:"sheet,omitempty"`
	SheetPattern string `json:"sheet_pattern,omitempty"`
	// HeaderLine is the 1-based line (or sheet row) of the header; 1
	// unless stated. HeaderLines header lines are joined, column by
	// column, with a space (a group line above the column names).
	HeaderLine  int `json:"header_line,omitempty"`
	HeaderLines int `json:"header_lines,omitempty"`
	// SkipLines lines after the header are not data (units, notes).
	SkipLines int `json:"skip_lines,omitempty"`
	// Delimiter of a CSV file: ",", ";" or "\t"; detected when empty.
	Delimiter string `json:"delimiter,omitempty"`
	// Encoding of a CSV file: utf-8 (default) or windows-1252.
	Encoding string `json:"encoding,omitempty"`
}

// RecogniseSpec is a header signature: a file whose header holds every
// column of Columns and none of Absent is read with the profile.
type RecogniseSpec struct {
	Columns []string `json:"columns"`
	Absent  []string `json:"absent,omitempty"`
}

// LayoutSpec is the shape of the table.
type LayoutSpec struct {
	Kind string `json:"kind"`
	// YearColumns is a regular expression matching the year columns of
	// a wide_by_year layout; its first group (else the whole name) is
	// the year.
	YearColumns string `json:"year_columns,omitempty"`
}

// Names is one name or several: in JSON a string or a list of strings.
type Names []string

// Column names one column of the file: a name, or a list of names of
// which the first the header has is used (a column renamed between
// releases).
type Column = Names

// UnmarshalJSON reads a string or a list of strings.
func (c *Names) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*c = Column{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return &json.UnmarshalTypeError{Value: "non-string", Type: reflect.TypeOf(""), Offset: 0}
	}
	*c = many
	return nil
}

// MarshalJSON writes one name as a string.
func (c Names) MarshalJSON() ([]byte, error) {
	if len(c) == 1 {
		return json.Marshal(c[0])
	}
	return json.Marshal([]string(c))
}

// AreaSpec says which area a row is about.
type AreaSpec struct {
	// Columns hold the area's name (or code); the first non-empty one
	// that names a known area is used.
	Columns []Column `json:"columns"`
	// CountryColumn holds the country (ISO3 code or name): an area of
	// another country is never matched.
	CountryColumn Column `json:"country_column,omitempty"`
	// OrganisationColumn holds the reporting organisation's name
	// ("City of Cape Town"), tried before Columns: the organisation
	// fixes the boundary.
	OrganisationColumn Column `json:"organisation_column,omitempty"`
	// Codes maps a publisher's code or name as printed (UN/LOCODE
	// "VN HAN", Eurostat "IT002C") to an area slug; "" drops the rows.
	Codes map[string]string `json:"codes,omitempty"`
	// Kind restricts matches to areas of this kind, or these kinds
	// (city, metropolitan, agglomeration, country): UN WUP names
	// agglomerations, never municipalities.
	Kind Names `json:"kind,omitempty"`
}

// YearSpec says which year a value is for.
type YearSpec struct {
	Column   Column `json:"column,omitempty"`
	Constant int    `json:"constant,omitempty"`
	// Parse: "year" (default), "date" (the year of a date such as
	// "12/31/2013 12:00:00 AM" or "2014-06-30"), "fiscal_range"
	// ("2013-07-01 - 2014-06-30", the year chosen by FiscalRule).
	Parse string `json:"parse,omitempty"`
	// FiscalRule: "end" (the year the period ends), "start", or
	// "majority" (the year holding most of the period; the end year on
	// a tie).
	FiscalRule string `json:"fiscal_rule,omitempty"`
}

// IndicatorSpec says which indicator a value is for.
type IndicatorSpec struct {
	Constant string `json:"constant,omitempty"`
	Column   Column `json:"column,omitempty"`
	// Cell reads the indicator, through Map, from one cell of each
	// sheet ("C6", above the header), for a workbook with one sheet per
	// indicator.
	Cell string `json:"cell,omitempty"`
	// Map is the crosswalk from the column's value to an indicator
	// code; a value that maps to "" or is absent is skipped and counted.
	Map map[string]string `json:"map,omitempty"`
}

// ValueSpec says where the value is and how it is written.
type ValueSpec struct {
	Column Column `json:"column,omitempty"`
	// NotAValue lists cell texts that mean "no value" (notation keys
	// NO, IE, NE, NA, ":"): such a cell gives no row and is counted.
	NotAValue []string `json:"not_a_value,omitempty"`
	// ConvertedMarker is a regular expression whose first group is the
	// number in a cell marked as converted from another measure, e.g.
	// "^\\(([0-9.]+)\\)-converted value$"; such values get ConvertedFlag.
	ConvertedMarker string `json:"converted_marker,omitempty"`
	ConvertedFlag   string `json:"converted_flag,omitempty"`
	// Scale multiplies every value: 1000 for thousands, 0.001 for kg
	// to tonnes.
	Scale float64 `json:"scale,omitempty"`
	// DecimalComma reads "12,5" as 12.5.
	DecimalComma bool `json:"decimal_comma,omitempty"`
}

// UnitSpec says what unit the values are in; they are converted to the
// indicator's unit.
type UnitSpec struct {
	Constant string            `json:"constant,omitempty"`
	Column   Column            `json:"column,omitempty"`
	Map      map[string]string `json:"map,omitempty"`
	// FromIndicator: the values are in each indicator's own unit (a
	// table whose indicator names its unit, "… - minutes"); with Column,
	// only when the file has no such column (a generic profile for
	// tables with and without a unit dimension).
	FromIndicator bool `json:"from_indicator,omitempty"`
}

// MeasureSpec is one value column of a wide_by_measure or
// multi_measure layout.
type MeasureSpec struct {
	Column    Column `json:"column"`
	Indicator string `json:"indicator"`
	Unit      string `json:"unit,omitempty"`
	// Optional: a file without this column is read without the measure
	// (a generic profile naming the value columns one publisher uses).
	Optional bool `json:"optional,omitempty"`
	// Scale, Year, Flags and Note replace the profile's own for this
	// measure (Year only in multi_measure).
	Scale float64   `json:"scale,omitempty"`
	Year  *YearSpec `json:"year,omitempty"`
	Flags *FlagSpec `json:"flags,omitempty"`
	Note  *NoteSpec `json:"note,omitempty"`
}

// SourceSpec says which catalogue source the values come from.
type SourceSpec struct {
	Code   string            `json:"code,omitempty"`
	Column Column            `json:"column,omitempty"`
	Map    map[string]string `json:"map,omitempty"`
	// Vintage is the release the profile was written for, as the
	// publisher names it ("April 2022", "v0325").
	Vintage string `json:"vintage,omitempty"`
}

// FlagSpec gives values their flags.
type FlagSpec struct {
	// Column holds the publisher's flag codes, mapped by Map (Eurostat
	// OBS_FLAG "e" → estimated); unmapped codes are ignored.
	Column Column            `json:"column,omitempty"`
	Map    map[string]string `json:"map,omitempty"`
	// Adjacent: the flag code is in the column right after each value
	// (Eurostat's table layout: 2015, flag, 2016, flag …), mapped by Map.
	Adjacent bool       `json:"adjacent,omitempty"`
	Rules    []FlagRule `json:"rules,omitempty"`
}

// FlagRule sets Flag on a value: always, for years after YearAfter,
// or when Column's value is one of Equals or a number below Below.
type FlagRule struct {
	Flag      string   `json:"flag"`
	Always    bool     `json:"always,omitempty"`
	YearAfter int      `json:"year_after,omitempty"`
	Column    Column   `json:"column,omitempty"`
	Equals    []string `json:"equals,omitempty"`
	Below     *float64 `json:"below,omitempty"`
}

// NoteSpec builds a value's note from a template with {column name}
// placeholders, or by joining Columns as "name: value".
type NoteSpec struct {
	Template string   `json:"template,omitempty"`
	Columns  []Column `json:"columns,omitempty"`
}

// FilterSpec drops rows: those whose Column is one of Drop or matches
// DropMatching, or (with Keep) those whose Column is not one of Keep.
// Reason says why, for the count ("aggregate", "not_public").
type FilterSpec struct {
	Column       Column   `json:"column"`
	Drop         []string `json:"drop,omitempty"`
	DropMatching string   `json:"drop_matching,omitempty"`
	Keep         []string `json:"keep,omitempty"`
	Reason       string   `json:"reason"`
}

// ProfileError is a profile that cannot be used: Key is the JSON path
// of the offending key ("read.header_line", "measures[2].column").
type ProfileError struct {
	Key     string `json:"key"`
	Message string `json:"message"`
}

func (e *ProfileError) Error() string {
	if e.Key == "" {
		return "profile: " + e.Message
	}
	return fmt.Sprintf("profile key %s: %s", e.Key, e.Message)
}

// ProfileErrors are all the problems found in one profile.
type ProfileErrors []*ProfileError

func (es ProfileErrors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

var nameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// ParseProfile reads a profile strictly: an unknown key, a value of the
// wrong type, or a rule that cannot work is an error naming the key.
func ParseProfile(b []byte) (*Profile, error) {
	var raw any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, ProfileErrors{{Message: "not valid JSON: " + err.Error()}}
	}
	if dec.More() {
		return nil, ProfileErrors{{Message: "not valid JSON: more than one value"}}
	}
	var errs ProfileErrors
	checkShape(raw, reflect.TypeOf(Profile{}), "", &errs)
	if len(errs) > 0 {
		return nil, errs
	}
	var p Profile
	dec = json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, ProfileErrors{{Key: te.Field, Message: "expected " + te.Type.String() + ", found " + te.Value}}
		}
		return nil, ProfileErrors{{Message: err.Error()}}
	}
	if errs := p.validate(); len(errs) > 0 {
		return nil, errs
	}
	return &p, nil
}

// checkShape walks decoded JSON against the Go type, collecting unknown
// keys and wrong types with their paths.
func checkShape(v any, t reflect.Type, path string, errs *ProfileErrors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	key := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	wrong := func(want string) {
		*errs = append(*errs, &ProfileError{Key: path, Message: fmt.Sprintf("expected %s, found %s", want, jsonKind(v))})
	}
	if t == reflect.TypeOf(Column{}) {
		switch x := v.(type) {
		case string:
		case []any:
			if len(x) == 0 {
				*errs = append(*errs, &ProfileError{Key: path, Message: "an empty list of column names"})
			}
			for i, e := range x {
				if _, ok := e.(string); !ok {
					*errs = append(*errs, &ProfileError{Key: fmt.Sprintf("%s[%d]", path, i), Message: "expected a column name (string), found " + jsonKind(e)})
				}
			}
		default:
			wrong("a column name or a list of column names")
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			wrong("an object")
			return
		}
		fields := map[string]reflect.StructField{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if n == "" || n == "-" {
				continue
			}
			fields[n] = f
			names = append(names, n)
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			f, ok := fields[k]
			if !ok {
				msg := "unknown key"
				if near := closestKey(k, names); near != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", near)
				} else {
					msg += "; known keys here: " + strings.Join(names, ", ")
				}
				*errs = append(*errs, &ProfileError{Key: key(k), Message: msg})
				continue
			}
			checkShape(m[k], f.Type, key(k), errs)
		}
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			wrong("a list")
			return
		}
		for i, e := range a {
			checkShape(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			wrong("an object")
			return
		}
		// In key order, as an object's fields: the same profile lists
		// its problems in the same order every time.
		for _, k := range slices.Sorted(maps.Keys(m)) {
			checkShape(m[k], t.Elem(), fmt.Sprintf("%s[%q]", path, k), errs)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			wrong("a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			wrong("true or false")
		}
	case reflect.Int:
		n, ok := v.(json.Number)
		if !ok {
			wrong("a whole number")
			return
		}
		if _, err := strconv.Atoi(string(n)); err != nil {
			wrong("a whole number")
		}
	case reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			wrong("a number")
		}
	}
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", clip(x))
	case bool:
		return "a boolean"
	case json.Number:
		return "the number " + string(x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func closestKey(k string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := levenshtein(strings.ToLower(k), n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

var (
	fiscalRules = map[string]bool{"": true, "end": true, "start": true, "majority": true}
	yearParses  = map[string]bool{"": true, "year": true, "date": true, "fiscal_range": true}
	areaKinds   = map[string]bool{"": true, "city": true, "metropolitan": true, "agglomeration": true, "country": true}
)

// validate checks what the types cannot: required keys, known kinds,
// and rules that fit the layout.
func (p *Profile) validate() ProfileErrors {
	var errs ProfileErrors
	bad := func(key, format string, args ...any) {
		errs = append(errs, &ProfileError{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	if p.FormatVersion != ProfileFormatVersion {
		bad("format_version", "must be %d (this profile says %d)", ProfileFormatVersion, p.FormatVersion)
	}
	if !nameRe.MatchString(p.Name) {
		bad("name", "must be lower-case letters, digits, - and _ (at most 64), such as who-aaq-2022")
	}
	if p.Version < 1 {
		bad("version", "must be 1 or more")
	}
	if strings.TrimSpace(p.Title) == "" {
		bad("title", "is required: it is what the upload page shows (\"Read as: …\")")
	}
	switch p.Output {
	case "", OutputObservations:
		if p.Targets != nil {
			bad("targets", "only a profile with output %q maps targets", OutputTargets)
		}
	case OutputTargets:
		p.validateTargets(bad)
		return errs
	default:
		bad("output", "must be %q or %q", OutputObservations, OutputTargets)
	}
	p.validateRead(bad)
	p.validateLayout(bad)
	p.validateValues(bad)
	p.validateMeasures(bad)
	p.validateSourceAndFilters(bad)
	return errs
}

// validateRead checks how the file is read: format, header and
// skipped lines, delimiter, encoding.
func (p *Profile) validateRead(bad func(key, format string, args ...any)) {
	switch p.Read.Format {
	case "csv":
		if p.Read.Sheet != "" || p.Read.SheetPattern != "" {
			bad("read.sheet", "only a workbook (format xlsx) has sheets")
		}
	case "xlsx":
		switch {
		case p.Read.Sheet == "" && p.Read.SheetPattern == "":
			bad("read.sheet", "is required for a workbook: name the sheet that holds the data (or give sheet_pattern)")
		case p.Read.Sheet != "" && p.Read.SheetPattern != "":
			bad("read.sheet_pattern", "give either sheet or sheet_pattern, not both")
		}
		if p.Read.SheetPattern != "" {
			if _, err := regexp.Compile(p.Read.SheetPattern); err != nil {
				bad("read.sheet_pattern", "is not a valid regular expression: %v", err)
			}
		}
		if p.Read.Delimiter != "" || p.Read.Encoding != "" {
			bad("read.delimiter", "a workbook has no delimiter or encoding")
		}
	default:
		bad("read.format", "must be csv or xlsx")
	}
	if p.Read.HeaderLine < 0 || p.Read.HeaderLine > 100 {
		bad("read.header_line", "must be between 1 and 100")
	}
	if p.Read.HeaderLines < 0 || p.Read.HeaderLines > 5 {
		bad("read.header_lines", "must be between 1 and 5")
	}
	if p.Read.SkipLines < 0 || p.Read.SkipLines > 100 {
		bad("read.skip_lines", "must be between 0 and 100")
	}
	switch p.Read.Delimiter {
	case "", ",", ";", "\t":
	default:
		bad("read.delimiter", "must be \",\", \";\" or \"\\t\"")
	}
	switch strings.ToLower(p.Read.Encoding) {
	case "", "utf-8", "windows-1252":
	default:
		bad("read.encoding", "must be utf-8 or windows-1252")
	}
}

// validateLayout checks the columns that recognise the file and the
// layout of its values.
func (p *Profile) validateLayout(bad func(key, format string, args ...any)) {
	if len(p.Recognise.Columns) == 0 {
		bad("recognise.columns", "is required: the column names that identify this layout")
	}
	switch p.Layout.Kind {
	case LayoutLong:
		if p.Value.Column == nil {
			bad("value.column", "is required in a long layout")
		}
		if p.Indicator == nil {
			bad("indicator", "is required in a long layout")
		}
		if len(p.Measures) > 0 {
			bad("measures", "only wide_by_measure and multi_measure layouts have measures")
		}
	case LayoutWideByYear:
		if p.Layout.YearColumns == "" {
			bad("layout.year_columns", "is required in a wide_by_year layout")
		}
		if p.Year != nil {
			bad("year", "a wide_by_year layout takes the year from the column names")
		}
		if p.Indicator == nil {
			bad("indicator", "is required in a wide_by_year layout")
		}
		if len(p.Measures) > 0 {
			bad("measures", "only wide_by_measure and multi_measure layouts have measures")
		}
	case LayoutWideByMeasure, LayoutMultiMeasure:
		if p.Measures == nil {
			bad("measures", "is required in a %s layout: one entry per value column ([] for a profile whose value columns are mapped at upload)", p.Layout.Kind)
		}
		if p.Indicator != nil {
			bad("indicator", "a %s layout names the indicator in each measure", p.Layout.Kind)
		}
		if p.Value.Column != nil {
			bad("value.column", "a %s layout names the value column in each measure", p.Layout.Kind)
		}
	default:
		bad("layout.kind", "must be long, wide_by_year, wide_by_measure or multi_measure")
	}
	if p.Layout.YearColumns != "" {
		if p.Layout.Kind != LayoutWideByYear {
			bad("layout.year_columns", "only a wide_by_year layout has year columns")
		} else if _, err := regexp.Compile(p.Layout.YearColumns); err != nil {
			bad("layout.year_columns", "is not a valid regular expression: %v", err)
		}
	}
}

// validateValues checks where the area, year, indicator, value and unit
// of a row come from.
func (p *Profile) validateValues(bad func(key, format string, args ...any)) {
	if len(p.Area.Columns) == 0 && p.Area.OrganisationColumn == nil {
		bad("area.columns", "is required: the column(s) naming the area")
	}
	for _, k := range p.Area.Kind {
		if !areaKinds[k] || k == "" {
			bad("area.kind", "must be city, metropolitan, agglomeration or country (or a list of them)")
		}
	}
	if p.Layout.Kind != LayoutWideByYear {
		p.validateYear(p.Year, "year", p.Layout.Kind != LayoutMultiMeasure, bad)
	}
	if ind := p.Indicator; ind != nil {
		n := 0
		for _, set := range []bool{ind.Constant != "", ind.Column != nil, ind.Cell != ""} {
			if set {
				n++
			}
		}
		switch {
		case n != 1:
			bad("indicator", "give one of constant (an indicator code), column with map, or cell with map")
		case ind.Constant == "" && len(ind.Map) == 0:
			bad("indicator.map", "is required: the crosswalk from the file's values to indicator codes")
		case ind.Cell != "" && p.Read.Format != "xlsx":
			bad("indicator.cell", "only a workbook has cells")
		case ind.Cell != "":
			if _, r, err := excelize.CellNameToCoordinates(ind.Cell); err != nil {
				bad("indicator.cell", "is not a cell name such as C6")
			} else if r >= p.Read.headerLine()+p.Read.headerLines()+p.Read.SkipLines {
				bad("indicator.cell", "must lie above the data (the header ends on line %d)", p.Read.headerLine()+p.Read.headerLines()-1)
			}
		}
	}
	switch p.Repeats {
	case "", "keep", "reject":
	default:
		bad("repeats", "must be keep or reject")
	}
	if p.Value.Scale < 0 {
		bad("value.scale", "must be positive")
	}
	if p.Value.ConvertedMarker != "" {
		re, err := regexp.Compile(p.Value.ConvertedMarker)
		switch {
		case err != nil:
			bad("value.converted_marker", "is not a valid regular expression: %v", err)
		case re.NumSubexp() < 1:
			bad("value.converted_marker", "needs a group around the number")
		}
		if p.Value.ConvertedFlag == "" {
			bad("value.converted_flag", "is required with converted_marker (usually \"converted\")")
		}
	}
	if u := p.Unit; u != nil {
		n := 0
		for _, set := range []bool{u.Constant != "", u.Column != nil, u.FromIndicator} {
			if set {
				n++
			}
		}
		if n != 1 && !(n == 2 && u.Column != nil && u.FromIndicator) {
			bad("unit", "give one of constant, column or from_indicator (or column with from_indicator)")
		}
	}
	if p.Unit == nil && p.Layout.Kind != LayoutWideByMeasure && p.Layout.Kind != LayoutMultiMeasure {
		bad("unit", "is required: the unit the values are in")
	}
}

// validateMeasures checks each value column of a wide_by_measure or
// multi_measure layout.
func (p *Profile) validateMeasures(bad func(key, format string, args ...any)) {
	for i, m := range p.Measures {
		k := fmt.Sprintf("measures[%d]", i)
		if m.Column == nil {
			bad(k+".column", "is required")
		}
		if m.Indicator == "" {
			bad(k+".indicator", "is required")
		}
		if m.Unit == "" && p.Unit == nil {
			bad(k+".unit", "is required (or give unit for the whole profile)")
		}
		if m.Scale < 0 {
			bad(k+".scale", "must be positive")
		}
		if m.Year != nil {
			if p.Layout.Kind != LayoutMultiMeasure {
				bad(k+".year", "only a multi_measure layout gives each measure its own year")
			} else {
				p.validateYear(m.Year, k+".year", true, bad)
			}
		} else if p.Layout.Kind == LayoutMultiMeasure && p.Year == nil {
			bad(k+".year", "is required when the profile has no year")
		}
		validateFlags(m.Flags, k+".flags", bad)
		validateNote(m.Note, k+".note", bad)
	}
}

// validateSourceAndFilters checks the source, the flags and note of
// every row, and the filters.
func (p *Profile) validateSourceAndFilters(bad func(key, format string, args ...any)) {
	mappedAtUpload := p.Measures != nil && len(p.Measures) == 0
	if (p.Source.Code == "") == (p.Source.Column == nil) && !(mappedAtUpload && p.Source.Code == "" && p.Source.Column == nil) {
		bad("source", "give either code (a catalogue source) or column with map")
	}
	if p.Source.Column != nil && len(p.Source.Map) == 0 {
		bad("source.map", "is required with source.column")
	}
	validateFlags(p.Flags, "flags", bad)
	validateNote(p.Note, "note", bad)
	for i, f := range p.Filters {
		k := fmt.Sprintf("filters[%d]", i)
		if f.Column == nil {
			bad(k+".column", "is required")
		}
		if len(f.Drop) == 0 && len(f.Keep) == 0 && f.DropMatching == "" {
			bad(k, "give drop, drop_matching or keep")
		}
		if f.DropMatching != "" {
			if _, err := regexp.Compile(f.DropMatching); err != nil {
				bad(k+".drop_matching", "is not a valid regular expression: %v", err)
			}
		}
		if f.Reason == "" {
			bad(k+".reason", "is required: why these rows are left out (aggregate, not_public …)")
		}
	}
}

func (p *Profile) validateYear(y *YearSpec, key string, required bool, bad func(string, string, ...any)) {
	if y == nil {
		if required {
			bad(key, "is required: a column or a constant")
		}
		return
	}
	if (y.Column == nil) == (y.Constant == 0) {
		bad(key, "give either column or constant")
	}
	if y.Constant != 0 && (y.Constant < 1900 || y.Constant > 2100) {
		bad(key+".constant", "must be a year between 1900 and 2100")
	}
	if !yearParses[y.Parse] {
		bad(key+".parse", "must be year, date or fiscal_range")
	}
	if !fiscalRules[y.FiscalRule] {
		bad(key+".fiscal_rule", "must be end, start or majority")
	}
	if y.Parse == "fiscal_range" && y.FiscalRule == "" {
		bad(key+".fiscal_rule", "is required with fiscal_range: say which year a fiscal period counts for")
	}
	if y.Parse != "fiscal_range" && y.FiscalRule != "" {
		bad(key+".fiscal_rule", "applies only with parse fiscal_range")
	}
}

func validateFlags(f *FlagSpec, key string, bad func(string, string, ...any)) {
	if f == nil {
		return
	}
	if (f.Column != nil || f.Adjacent) && len(f.Map) == 0 {
		bad(key+".map", "is required with column or adjacent: the crosswalk from the file's flag codes to flags")
	}
	if f.Column != nil && f.Adjacent {
		bad(key+".adjacent", "give either column or adjacent")
	}
	for i, r := range f.Rules {
		k := fmt.Sprintf("%s.rules[%d]", key, i)
		if r.Flag == "" {
			bad(k+".flag", "is required")
		}
		n := 0
		if r.Always {
			n++
		}
		if r.YearAfter != 0 {
			n++
		}
		if r.Column != nil {
			n++
			if len(r.Equals) == 0 && r.Below == nil {
				bad(k, "a rule on a column needs equals or below")
			}
		} else if len(r.Equals) > 0 || r.Below != nil {
			bad(k+".column", "is required with equals or below")
		}
		if n != 1 {
			bad(k, "give exactly one of always, year_after or column")
		}
	}
}

func validateNote(n *NoteSpec, key string, bad func(string, string, ...any)) {
	if n == nil {
		return
	}
	if (n.Template == "") == (len(n.Columns) == 0) {
		bad(key, "give either template or columns")
	}
}

// header line and layout defaults
func (r ReadSpec) headerLine() int {
	if r.HeaderLine == 0 {
		return 1
	}
	return r.HeaderLine
}

func (r ReadSpec) headerLines() int {
	if r.HeaderLines == 0 {
		return 1
	}
	return r.HeaderLines
}

// LoadProfiles reads every *.json profile in a folder of fsys, sorted by
// name; a profile that does not parse is an error naming its file.
func LoadProfiles(fsys fs.FS, dir string) ([]*Profile, error) {
	var out []*Profile
	seen := map[string]string{}
	err := profileFiles(fsys, dir, func(n string, p *Profile, _ []byte) error {
		if prev, ok := seen[p.Name]; ok {
			return fmt.Errorf("%s: profile name %s is also used by %s", n, p.Name, prev)
		}
		seen[p.Name] = n
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// profileFiles reads every *.json profile in a folder of fsys, sorted by
// name, and hands each to each with the file's name and bytes; a
// profile that does not parse is an error naming its file.
func profileFiles(fsys fs.FS, dir string, each func(file string, p *Profile, body []byte) error) error {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return err
		}
		p, err := ParseProfile(b)
		if err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
		if err := each(n, p, b); err != nil {
			return err
		}
	}
	return nil
}

// ShippedProfiles are the profiles in data/profiles, embedded in the
// binary.
func ShippedProfiles() ([]*Profile, error) {
	all, err := LoadProfiles(data.Profiles, "profiles")
	// Targets profiles are read by ReadTargets, not the observation
	// upload (profile_targets.go).
	var out []*Profile
	for _, p := range all {
		if p.Output != OutputTargets {
			out = append(out, p)
		}
	}
	return out, err
}
