package dashboard

import (
	"archive/zip"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
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

// stringSchema is the schema of a catalogue table keyed by its code.
func stringSchema(cols []string, typed map[string]string, desc map[string]string) tableSchema {
	return keyedSchema(cols, "code", typed, desc)
}

// keyedSchema is the schema of a table whose column key is required and
// unique; a column is a string unless typed names its type.
func keyedSchema(cols []string, key string, typed map[string]string, desc map[string]string) tableSchema {
	var fs []tsField
	for _, c := range cols {
		t := typed[c]
		if t == "" {
			t = "string"
		}
		f := tsField{Name: c, Type: t, Description: desc[c]}
		if c == key {
			f.Constraints = map[string]any{"required": true, "unique": true}
		}
		fs = append(fs, f)
	}
	return tableSchema{Fields: fs, PrimaryKey: key, MissingValues: []string{""}}
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
