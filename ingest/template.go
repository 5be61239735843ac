package ingest

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// WriteTemplateCSV writes the CSV template: the header line.
func WriteTemplateCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	if err := cw.Write(templateColumns); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// WriteTemplateXLSX writes the XLSX template: an empty data sheet, the
// instructions (said by say, in the reader's language), and the lists of
// valid cities, indicators, units, sources and flags.
func WriteTemplateXLSX(w io.Writer, cat *metrics.Catalogue, say func(locale.Message) string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "data"); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	tw := templateWorkbook{f: f, bold: bold}
	if err := tw.dataSheet(); err != nil {
		return err
	}
	if err := tw.instructions(say); err != nil {
		return err
	}
	for _, l := range templateLists(cat) {
		if err := tw.sheet(l.name, l.head, l.rows); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

// templateWorkbook writes the sheets of the XLSX template.
type templateWorkbook struct {
	f    *excelize.File
	bold int
}

// sheet writes a sheet of rows under a bold, frozen header line.
func (tw templateWorkbook) sheet(name string, head []string, rows [][]string) error {
	f := tw.f
	if name != "data" {
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
	}
	hr := make([]any, len(head))
	for i, h := range head {
		hr[i] = h
	}
	if err := f.SetSheetRow(name, "A1", &hr); err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(head), 1)
	if err := f.SetCellStyle(name, "A1", last, tw.bold); err != nil {
		return err
	}
	for i, r := range rows {
		rr := make([]any, len(r))
		for j, c := range r {
			rr[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(name, cell, &rr); err != nil {
			return err
		}
	}
	lastCol, _ := excelize.ColumnNumberToName(len(head))
	if err := f.SetColWidth(name, "A", lastCol, 22); err != nil {
		return err
	}
	return f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

// dataSheet is the empty data sheet: the template's columns, the text
// ones formatted as text so that a spreadsheet keeps what is typed.
func (tw templateWorkbook) dataSheet() error {
	if err := tw.sheet("data", templateColumns, nil); err != nil {
		return err
	}
	text, err := tw.f.NewStyle(&excelize.Style{NumFmt: 49}) // "@"
	if err != nil {
		return err
	}
	// city, indicator, unit, source, flags and note are text.
	if err := tw.f.SetColStyle("data", "A:B", text); err != nil {
		return err
	}
	return tw.f.SetColStyle("data", "E:M", text)
}

// instructions is the sheet that explains the format, one paragraph a
// line, in the reader's language.
func (tw templateWorkbook) instructions(say func(locale.Message) string) error {
	f := tw.f
	if _, err := f.NewSheet("instructions"); err != nil {
		return err
	}
	for i, k := range templateInstructions {
		if err := f.SetCellStr("instructions", fmt.Sprintf("A%d", i+1), say(k.With())); err != nil {
			return err
		}
	}
	if err := f.SetColWidth("instructions", "A", "A", 140); err != nil {
		return err
	}
	return f.SetCellStyle("instructions", "A1", "A1", tw.bold)
}

// templateList is one sheet of the valid values the template lists.
type templateList struct {
	name string
	head []string
	rows [][]string
}

// templateLists are the valid cities, indicators, units, sources and
// flags, from the catalogue.
func templateLists(cat *metrics.Catalogue) []templateList {
	cities := templateList{name: "cities", head: []string{"slug", "name", "local name", "aliases", "country", "kind"}}
	for _, a := range cat.Areas {
		cities.rows = append(cities.rows, []string{a.Slug, a.Name, a.LocalName, strings.Join(a.Aliases, " | "), a.CountryISO3, a.Kind})
	}
	inds := templateList{name: "indicators", head: []string{"code", "name", "theme", "unit", "accepted units", "note"}}
	for _, i := range cat.Indicators {
		note := ""
		if i.Derived() {
			note = "computed: do not upload"
		}
		inds.rows = append(inds.rows, []string{i.Code, i.NameEN, i.Theme, metrics.UnitLabel(i.Unit), acceptedUnits(i.Unit), note})
	}
	units := templateList{name: "units", head: []string{"unit", "code", "dimension", "also written"}}
	for _, u := range metrics.Units() {
		units.rows = append(units.rows, []string{u.Label, u.Code, u.Dimension, strings.Join(u.Aliases, " | ")})
	}
	srcs := templateList{name: "sources", head: []string{"code", "title", "publisher", "vintage"}}
	for _, s := range cat.Sources {
		srcs.rows = append(srcs.rows, []string{s.Code, s.Title, s.Publisher, s.Vintage})
	}
	flags := templateList{name: "flags", head: []string{"code", "name", "meaning"}}
	for _, x := range cat.Flags {
		flags.rows = append(flags.rows, []string{x.Code, x.NameEN, x.DescriptionEN})
	}
	return []templateList{cities, inds, units, srcs, flags}
}
