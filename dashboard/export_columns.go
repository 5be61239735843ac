package dashboard

import (
	"strconv"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// exportColumn is one column of an observation in the downloads: its
// name (the CSV and XLSX header, the data package's field), its Table
// Schema type, description and constraints, and how a row fills it.
// exportColumns, in order, drive the CSV writer, the XLSX data sheet and
// the data package's observations schema; the JSON document and the API
// carry the same values under the names of their own, documented shape
// (observationDoc).
type exportColumn struct {
	name        string
	typ         string // string, integer, number or boolean
	desc        string
	constraints map[string]any
	// guarded text may begin like a formula; the schema says how CSV
	// guards it.
	guarded bool
	// group is what the text depends on besides the row's own numbers:
	// the CSV writer encodes a run of columns of one group once per
	// area, indicator, source or set of flags.
	group colGroup
	text  func(r *exportRow) string
	// cell is the XLSX cell of a number or a truth value, nil where
	// there is none; text columns are written as text.
	cell func(r *exportRow) any
}

type colGroup int

const (
	byRow colGroup = iota
	byArea
	byIndicator
	bySource
	byFlags
	byDownload
)

var required = map[string]any{"required": true}

var exportColumns = []exportColumn{
	{name: "observation_id", typ: "integer", desc: "Stable id of the observation.", constraints: map[string]any{"required": true, "unique": true},
		text: func(r *exportRow) string { return strconv.FormatInt(r.ID, 10) }, cell: func(r *exportRow) any { return r.ID }},
	{name: "city_code", typ: "string", desc: "Code of the area (cities resource).", constraints: required, group: byArea,
		text: func(r *exportRow) string { return r.City.Slug }},
	{name: "city_name", typ: "string", desc: "Name of the area.", group: byArea,
		text: func(r *exportRow) string { return r.City.Name }},
	{name: "country", typ: "string", desc: "ISO 3166-1 alpha-3 code of the area's country.", group: byArea,
		text: func(r *exportRow) string { return r.City.CountryISO3 }},
	{name: "area_kind", typ: "string", desc: "city, metropolitan, agglomeration or country: national figures are context, not city values.",
		constraints: map[string]any{"enum": []string{metrics.KindCity, metrics.KindMetropolitan, metrics.KindAgglomeration, metrics.KindCountry}}, group: byArea,
		text: func(r *exportRow) string { return r.City.Kind }},
	{name: "indicator_code", typ: "string", desc: "Code of the indicator (indicators resource).", constraints: required, group: byIndicator,
		text: func(r *exportRow) string { return r.Indicator.Code }},
	{name: "indicator_name", typ: "string", desc: "Name of the indicator.", group: byIndicator,
		text: func(r *exportRow) string { return r.Indicator.NameEN }},
	{name: "theme", typ: "string", desc: "Theme of the indicator.", constraints: map[string]any{"enum": metrics.Themes}, group: byIndicator,
		text: func(r *exportRow) string { return r.Indicator.Theme }},
	{name: "year", typ: "integer", desc: "Year the value describes; empty when the source printed none.", constraints: map[string]any{"minimum": 1900, "maximum": 2100},
		text: func(r *exportRow) string { return r.Year },
		cell: func(r *exportRow) any {
			if !r.src.Year.Valid {
				return nil
			}
			return r.src.Year.Int64
		}},
	{name: "value", typ: "number", desc: "The value in the indicator's canonical unit (column unit). Empty when the source printed text (value_as_given) or when the value is withheld.",
		text: func(r *exportRow) string { return r.Value },
		cell: func(r *exportRow) any {
			// Excel keeps 15 significant digits; no cell where there is
			// no number.
			if !r.src.Value.Valid || r.Withheld {
				return nil
			}
			return excelDigits(r.src.Value.Float64)
		}},
	{name: "unit", typ: "string", desc: "The canonical unit of the value (indicators.unit_label).", group: byIndicator,
		text: func(r *exportRow) string { return r.Indicator.UnitLabel() }},
	{name: "value_as_given", typ: "string", desc: "The value as the source printed it, where it differs (text such as \"Not Applicable\").", guarded: true,
		text: func(r *exportRow) string { return r.ValueAsGiven }},
	{name: "unit_as_given", typ: "string", desc: "The unit as the source printed it, before conversion.", guarded: true,
		text: func(r *exportRow) string { return r.UnitAsGiven }},
	{name: "source_code", typ: "string", desc: "Code of the source (sources resource); empty for a computed value.", group: bySource,
		text: func(r *exportRow) string { return r.SourceCode }},
	{name: "source_title", typ: "string", desc: "Title of the source, or for a computed value the observations it was computed from.", guarded: true, group: bySource,
		text: func(r *exportRow) string { return r.SourceTitle }},
	{name: "source_licence", typ: "string", desc: "Licence of the source as it states it.", guarded: true, group: bySource,
		text: func(r *exportRow) string { return r.SourceLicence }},
	{name: "source_citation", typ: "string", desc: "How to cite the source.", guarded: true, group: bySource,
		text: func(r *exportRow) string { return r.SourceCitation }},
	{name: "flags", typ: "string", desc: "Flag codes, space separated (flags resource).", group: byFlags,
		text: func(r *exportRow) string { return r.Flags }},
	{name: "flag_meanings", typ: "string", desc: "What each flag of the value means.", guarded: true, group: byFlags,
		text: func(r *exportRow) string { return r.FlagMeanings }},
	{name: "note", typ: "string", desc: "Note on the value; for a withheld value, why it is withheld.", guarded: true,
		text: func(r *exportRow) string { return r.Note }},
	{name: "numerator_id", typ: "integer", desc: "For a computed (per capita) value: the observation_id of its numerator.",
		text: func(r *exportRow) string { return r.Numerator }, cell: derivedID(func(r *metrics.ExportRow) int64 { return r.NumeratorID.Int64 })},
	{name: "denominator_id", typ: "integer", desc: "For a computed (per capita) value: the observation_id of its denominator.",
		text: func(r *exportRow) string { return r.Denominator }, cell: derivedID(func(r *metrics.ExportRow) int64 { return r.DenominatorID.Int64 })},
	{name: "withheld", typ: "boolean", desc: "True when the source's terms do not permit redistribution: the value is left out.", constraints: required,
		text: func(r *exportRow) string { return strconv.FormatBool(r.Withheld) }, cell: func(r *exportRow) any { return r.Withheld }},
	{name: "dataset_version", typ: "string", desc: "The data version this download shows.", constraints: required, group: byDownload,
		text: func(r *exportRow) string { return r.version }},
}

// derivedID is the cell of a component's id: empty but for a computed
// value.
func derivedID(id func(*metrics.ExportRow) int64) func(*exportRow) any {
	return func(r *exportRow) any {
		if !r.src.Derived() {
			return nil
		}
		return id(r.src)
	}
}

// exportColumnNames are the header of the observations.
func exportColumnNames() []string {
	out := make([]string, len(exportColumns))
	for i, c := range exportColumns {
		out[i] = c.name
	}
	return out
}

// observationsSchema is the data package's Table Schema of the
// observations.
func observationsSchema() tableSchema {
	s := tableSchema{
		PrimaryKey: "observation_id",
		ForeignKeys: []tsForeignKey{
			{Fields: "city_code", Reference: map[string]any{"resource": "cities", "fields": "code"}},
			{Fields: "indicator_code", Reference: map[string]any{"resource": "indicators", "fields": "code"}},
			{Fields: "source_code", Reference: map[string]any{"resource": "sources", "fields": "code"}},
		},
		MissingValues: []string{""},
	}
	for _, c := range exportColumns {
		f := tsField{Name: c.name, Type: c.typ, Description: c.desc, Constraints: c.constraints}
		if c.guarded {
			f.Description += guardNote
		}
		s.Fields = append(s.Fields, f)
	}
	return s
}
