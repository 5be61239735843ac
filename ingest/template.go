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
	if _, err := f.NewSheet("instructions"); err != nil {
		return err
	}
	for i, k := range templateInstructions {
		if err := f.SetCellStr("instructions", fmt.Sprintf("A%d", i+1), say(k.With())); err != nil {
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
