package dashboard

import (
	"archive/zip"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// A Frictionless Data Package (v1): datapackage.json with a Table Schema
// per resource, and the CSV files it describes, in one ZIP.

type tsField struct {
	Name        string         `json:"name"`
	Type        string         `json:"type"`
	Format      string         `json:"format,omitempty"`
	Title       string         `json:"title,omitempty"`
	Description string         `json:"description,omitempty"`
	Constraints map[string]any `json:"constraints,omitempty"`
}

type tsForeignKey struct {
	Fields    string         `json:"fields"`
	Reference map[string]any `json:"reference"`
}

type tableSchema struct {
	Fields        []tsField      `json:"fields"`
	PrimaryKey    string         `json:"primaryKey"`
	ForeignKeys   []tsForeignKey `json:"foreignKeys,omitempty"`
	MissingValues []string       `json:"missingValues"`
}

type dpResource struct {
	Profile     string         `json:"profile"`
	Name        string         `json:"name"`
	Path        string         `json:"path"`
	Title       string         `json:"title"`
	Description string         `json:"description,omitempty"`
	Format      string         `json:"format"`
	Mediatype   string         `json:"mediatype"`
	Encoding    string         `json:"encoding"`
	Dialect     map[string]any `json:"dialect"`
	Schema      tableSchema    `json:"schema"`
}

type dpLicense struct {
	Name  string `json:"name,omitempty"`
	Path  string `json:"path,omitempty"`
	Title string `json:"title"`
}

type dpSource struct {
	Title string `json:"title"`
	Path  string `json:"path,omitempty"`
}

type dataPackage struct {
	Profile     string       `json:"profile"`
	Name        string       `json:"name"`
	Title       string       `json:"title"`
	Description string       `json:"description"`
	Version     string       `json:"version"`
	Created     string       `json:"created,omitempty"`
	Homepage    string       `json:"homepage"`
	Keywords    []string     `json:"keywords"`
	Licenses    []dpLicense  `json:"licenses,omitempty"`
	Sources     []dpSource   `json:"sources"`
	Citation    string       `json:"citation"`
	Provenance  provenance   `json:"twinmetrics_provenance"`
	Resources   []dpResource `json:"resources"`
}

const guardNote = " Text beginning with =, +, -, @, a tab, a carriage return or an apostrophe (other than a plain number) carries one extra leading apostrophe, a spreadsheet formula guard: remove one leading apostrophe to get the stored text."

func str(name, desc string) tsField { return tsField{Name: name, Type: "string", Description: desc} }

func required(f tsField) tsField {
	if f.Constraints == nil {
		f.Constraints = map[string]any{}
	}
	f.Constraints["required"] = true
	return f
}

func observationsSchema() tableSchema {
	return tableSchema{
		Fields: []tsField{
			{Name: "observation_id", Type: "integer", Description: "Stable id of the observation.", Constraints: map[string]any{"required": true, "unique": true}},
			required(str("city_code", "Code of the area (cities resource).")),
			str("city_name", "Name of the area."),
			{Name: "country", Type: "string", Description: "ISO 3166-1 alpha-3 code of the area's country."},
			{Name: "area_kind", Type: "string", Description: "city, metropolitan, agglomeration or country: national figures are context, not city values.",
				Constraints: map[string]any{"enum": []string{metrics.KindCity, metrics.KindMetropolitan, metrics.KindAgglomeration, metrics.KindCountry}}},
			required(str("indicator_code", "Code of the indicator (indicators resource).")),
			str("indicator_name", "Name of the indicator."),
			{Name: "theme", Type: "string", Description: "Theme of the indicator.", Constraints: map[string]any{"enum": metrics.Themes}},
			{Name: "year", Type: "integer", Description: "Year the value describes; empty when the source printed none.", Constraints: map[string]any{"minimum": 1900, "maximum": 2100}},
			{Name: "value", Type: "number", Description: "The value in the indicator's canonical unit (column unit). Empty when the source printed text (value_as_given) or when the value is withheld."},
			str("unit", "The canonical unit of the value (indicators.unit_label)."),
			str("value_as_given", "The value as the source printed it, where it differs (text such as \"Not Applicable\")."+guardNote),
			str("unit_as_given", "The unit as the source printed it, before conversion."+guardNote),
			str("source_code", "Code of the source (sources resource); empty for a computed value."),
			str("source_title", "Title of the source, or for a computed value the observations it was computed from."+guardNote),
			str("source_licence", "Licence of the source as it states it."+guardNote),
			str("source_citation", "How to cite the source."+guardNote),
			str("flags", "Flag codes, space separated (flags resource)."),
			str("flag_meanings", "What each flag of the value means."+guardNote),
			str("note", "Note on the value; for a withheld value, why it is withheld."+guardNote),
			{Name: "numerator_id", Type: "integer", Description: "For a computed (per capita) value: the observation_id of its numerator."},
			{Name: "denominator_id", Type: "integer", Description: "For a computed (per capita) value: the observation_id of its denominator."},
			{Name: "withheld", Type: "boolean", Description: "True when the source's terms do not permit redistribution: the value is left out.", Constraints: map[string]any{"required": true}},
			required(str("dataset_version", "The data version this download shows.")),
			{Name: "source_kind", Type: "string", Description: "Kind of the value's source (for a computed value, its numerator's): reported by the city, official statistics, or modelled (an estimate made the same way for every city; not what the city reports).",
				Constraints: map[string]any{"enum": []string{metrics.SourceReported, metrics.SourceOfficial, metrics.SourceModelled}}},
		},
		PrimaryKey: "observation_id",
		ForeignKeys: []tsForeignKey{
			{Fields: "city_code", Reference: map[string]any{"resource": "cities", "fields": "code"}},
			{Fields: "indicator_code", Reference: map[string]any{"resource": "indicators", "fields": "code"}},
			{Fields: "source_code", Reference: map[string]any{"resource": "sources", "fields": "code"}},
		},
		MissingValues: []string{""},
	}
}

func stringSchema(cols []string, typed map[string]string, desc map[string]string) tableSchema {
	var fs []tsField
	for _, c := range cols {
		t := typed[c]
		if t == "" {
			t = "string"
		}
		f := tsField{Name: c, Type: t, Description: desc[c]}
		if c == "code" {
			f.Constraints = map[string]any{"required": true, "unique": true}
		}
		fs = append(fs, f)
	}
	return tableSchema{Fields: fs, PrimaryKey: "code", MissingValues: []string{""}}
}

func csvResource(name, title, desc string, schema tableSchema) dpResource {
	return dpResource{
		Profile: "tabular-data-resource", Name: name, Path: "data/" + name + ".csv", Title: title, Description: desc,
		Format: "csv", Mediatype: "text/csv", Encoding: "utf-8",
		Dialect: map[string]any{"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": "\"", "doubleQuote": true, "header": true},
		Schema:  schema,
	}
}

// writeDataPackage streams a ZIP: the observations CSV first (written as
// it is read from the database), then the catalogue tables and last the
// descriptor, which names the sources the observations used.
func (s *Server) writeDataPackage(c echo.Context, d *download) error {
	c.Response().WriteHeader(http.StatusOK)
	zw := zip.NewWriter(c.Response())
	modified := d.stamp.Changed
	if modified.IsZero() {
		modified = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	create := func(name string) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
	}
	w, err := create("data/observations.csv")
	if err != nil {
		return err
	}
	x := newExportContext(d.cat, d.stamp)
	cw := newCSVWriter(x, w)
	cw.flush = nil // a zip entry is flushed when the next one starts
	if err := cw.header(); err != nil {
		return err
	}
	if err := s.store.EachObservation(c.Request().Context(), d.sel, 0, 0, cw.write); err != nil {
		return err
	}
	if err := cw.close(); err != nil {
		return err
	}
	// The targets of the selected areas, with their sources named in the
	// sources resource like the observations'.
	targets, err := s.targetRecords(c, d, x)
	if err != nil {
		return err
	}
	prov := x.provenance(d.query.Encode(), d.url)
	tables := []struct {
		name string
		head []string
		recs [][]string
	}{
		{"cities", cityColumns, cityRecords(d.cat)},
		{"indicators", indicatorColumns, indicatorRecords(d.cat)},
		{"sources", sourceColumns, sourceRecords(prov.Sources)},
		{"flags", flagColumns, flagRecords(d.cat)},
		{"targets", targetColumns, targets},
	}
	for _, t := range tables {
		w, err := create("data/" + t.name + ".csv")
		if err != nil {
			return err
		}
		b := appendCSVRecord(nil, t.head)
		for _, r := range t.recs {
			b = appendCSVRecord(b, r)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	desc, err := json.MarshalIndent(s.packageDescriptor(d, prov), "", "  ")
	if err != nil {
		return err
	}
	w, err = create("datapackage.json")
	if err != nil {
		return err
	}
	if _, err := w.Write(desc); err != nil {
		return err
	}
	return zw.Close()
}

func (s *Server) packageDescriptor(d *download, prov provenance) dataPackage {
	v := strconv.FormatInt(d.stamp.Version, 10)
	dp := dataPackage{
		Profile: "tabular-data-package",
		Name:    "twinmetrics-v" + v,
		Title:   prov.Title,
		Description: "Energy, low-carbon, air-quality and other sustainable-urban indicators of the twinned cities of the EU World Cities programme, " +
			"one observation per row, with each value's source, licence, citation and flags. Selection: " + orAll(prov.Selection) + ".",
		Version:    v + ".0.0",
		Homepage:   d.url,
		Keywords:   []string{"cities", "energy", "climate", "air quality", "twin cities", "sustainable development"},
		Sources:    []dpSource{},
		Citation:   prov.Citation,
		Provenance: prov,
	}
	if !d.stamp.Changed.IsZero() {
		dp.Created = d.stamp.Changed.Format(time.RFC3339)
	}
	seen := map[string]bool{}
	for _, src := range prov.Sources {
		dp.Sources = append(dp.Sources, dpSource{Title: src.Title + " (licence: " + src.Licence + ")", Path: src.URL})
		if src.LicenceURL != "" && !seen[src.LicenceURL] {
			seen[src.LicenceURL] = true
			dp.Licenses = append(dp.Licenses, dpLicense{Path: src.LicenceURL, Title: src.Licence + " (values of " + src.Code + "; every source's licence is in the sources resource)"})
		}
	}
	dp.Resources = []dpResource{
		csvResource("observations", "Observations", "One stored or computed value per row. "+noteWithheld+" "+noteDerived+" "+noteChoice, observationsSchema()),
		csvResource("cities", "Areas", "Cities and the other areas values describe: metropolitan areas, agglomerations, countries.",
			stringSchema(cityColumns, map[string]string{"latitude": "number", "longitude": "number"}, map[string]string{"aliases": "Other spellings, separated by |.", "parent_code": "The city a non-city area belongs to."})),
		csvResource("indicators", "Indicators", "What each indicator measures, its canonical unit and direction, and for a computed one its numerator and denominator.",
			stringSchema(indicatorColumns, map[string]string{"factor": "number"}, map[string]string{"standards": "References to standards (ISO 37120, SDG), separated by |."})),
		csvResource("sources", "Sources", "Every source the observations came from, with its licence, terms, citation and whether its values may be redistributed.",
			stringSchema(sourceColumns, map[string]string{"self_reported": "boolean"}, map[string]string{"redistribution": "permitted, not_permitted (values withheld) or unknown (no licence stated)."})),
		csvResource("flags", "Flags", "The meaning of each flag code.", stringSchema(flagColumns, nil, nil)),
		csvResource("targets", "Climate targets", "The climate commitments of the selected areas, one target per row as its source printed it "+
			"(kind, base year and value, target year, percentage or level, status, report year); several per area, conflicting ones all kept. "+
			"A row of kind no_target is the dated statement that the area had no target. achieved_percent_reported is the city's own figure, as reported.", targetsSchema()),
	}
	return dp
}

func orAll(q string) string {
	if q == "" {
		return "everything"
	}
	return q
}
