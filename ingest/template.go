package ingest

import (
	"encoding/csv"
	"fmt"
	"github.com/twinmetrics/twinmetrics/metrics"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// TemplateInstructions explain the upload format, one paragraph a line.
var TemplateInstructions = []string{
	"How to fill in this template",
	"One value per row on the sheet “data”. Keep the header row as it is; do not add, rename or reorder columns.",
	"city (required): a slug, name or alias from the sheet “cities”; case and accents do not matter (Kosice = Košice, TP.HCM = Ho Chi Minh City). Uploads never create cities: ask an admin to add a missing one.",
	"indicator (required): a code from the sheet “indicators”. Per-capita indicators are computed, not uploaded: upload the total and the population.",
	"year (required): the four-digit year the value refers to, 1900–2100.",
	"value (required): a number alone, with a decimal point (in a semicolon-separated CSV file a decimal comma is fine). No thousands separators, units or words; leave out rows that have no value.",
	"unit (required): the indicator's unit or one convertible to it (kWh, MWh, GWh, TWh, GJ, TJ; t, kt, Mt CO2e; %). Values are converted on import and flagged converted.",
	"source (required): a code from the sheet “sources” (or its title). For a new source write a new code (lower-case letters, digits, _) and describe it in source_title, source_publisher, source_url, source_vintage, source_licence.",
	"flags (optional): codes from the sheet “flags”, separated by semicolons.",
	"note (optional): free text. It must not start with =, +, - or @.",
	"Percentages must lie between 0 and 100. Values ten times above or below the stored ones are warnings you confirm before publishing.",
	"Save as XLSX, or as CSV UTF-8 (comma or semicolon separated). Nothing changes until you have seen the preview and pressed Publish; every upload can be rolled back.",
}

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
// instructions, and the lists of valid cities, indicators, units,
// sources and flags.
func WriteTemplateXLSX(w io.Writer, cat *metrics.Catalogue) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "data"); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": keep what is typed as text
	if err != nil {
		return err
	}
	sheet := func(name string, head []string, rows [][]string) error {
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
		if err := f.SetCellStyle(name, "A1", last, bold); err != nil {
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
	if err := sheet("data", templateColumns, nil); err != nil {
		return err
	}
	// city, indicator, unit, source, flags and note are text.
	if err := f.SetColStyle("data", "A:B", text); err != nil {
		return err
	}
	if err := f.SetColStyle("data", "E:M", text); err != nil {
		return err
	}
	var instr [][]string
	for _, l := range TemplateInstructions {
		instr = append(instr, []string{l})
	}
	if _, err := f.NewSheet("instructions"); err != nil {
		return err
	}
	for i, l := range instr {
		if err := f.SetCellStr("instructions", fmt.Sprintf("A%d", i+1), l[0]); err != nil {
			return err
		}
	}
	_ = f.SetColWidth("instructions", "A", "A", 140)
	_ = f.SetCellStyle("instructions", "A1", "A1", bold)

	var cities [][]string
	for _, a := range cat.Areas {
		cities = append(cities, []string{a.Slug, a.Name, a.LocalName, strings.Join(a.Aliases, " | "), a.CountryISO3, a.Kind})
	}
	if err := sheet("cities", []string{"slug", "name", "local name", "aliases", "country", "kind"}, cities); err != nil {
		return err
	}
	var inds [][]string
	for _, i := range cat.Indicators {
		note := ""
		if i.Derived() {
			note = "computed: do not upload"
		}
		inds = append(inds, []string{i.Code, i.NameEN, i.Theme, metrics.UnitLabel(i.Unit), acceptedUnits(i.Unit), note})
	}
	if err := sheet("indicators", []string{"code", "name", "theme", "unit", "accepted units", "note"}, inds); err != nil {
		return err
	}
	var us [][]string
	for _, u := range metrics.Units() {
		us = append(us, []string{u.Label, u.Code, u.Dimension, strings.Join(u.Aliases, " | ")})
	}
	if err := sheet("units", []string{"unit", "code", "dimension", "also written"}, us); err != nil {
		return err
	}
	var srcs [][]string
	for _, s := range cat.Sources {
		srcs = append(srcs, []string{s.Code, s.Title, s.Publisher, s.Vintage})
	}
	if err := sheet("sources", []string{"code", "title", "publisher", "vintage"}, srcs); err != nil {
		return err
	}
	var fl [][]string
	for _, x := range cat.Flags {
		fl = append(fl, []string{x.Code, x.NameEN, x.DescriptionEN})
	}
	if err := sheet("flags", []string{"code", "name", "meaning"}, fl); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}
