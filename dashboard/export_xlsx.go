package dashboard

import (
	"archive/zip"
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// maxXLSXRows is how many observations fit a sheet beside its header.
const maxXLSXRows = 1048575

// xmlText drops the characters XML 1.0 cannot carry (control characters
// other than tab and line breaks), which would make the workbook
// unreadable.
func xmlText(s string) string {
	bad := func(r rune) bool {
		return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF)
	}
	if strings.IndexFunc(s, bad) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if bad(r) {
			return -1
		}
		return r
	}, s)
}

// cellsOf turns text into cells. Every text cell is an inline string,
// which a spreadsheet shows as text and never runs as a formula, so the
// text is written as stored, without the apostrophe CSV needs.
func cellsOf(fields ...string) []any {
	out := make([]any, len(fields))
	for i, f := range fields {
		out[i] = xmlText(f)
	}
	return out
}

// writeXLSX writes the selection as a workbook: the data sheet, streamed
// row by row (excelize spills it to a temporary file, not to memory),
// then sheets for the indicators, cities, sources, flags and the
// provenance of the download.
func (s *Server) writeXLSX(c echo.Context, d *download) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "data"); err != nil {
		return err
	}
	// The used range is declared before the rows stream out, so that
	// readers that trust it (read-only modes) see every row.
	if err := setDimension(f, "data", len(exportColumns), d.count+1); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter("data")
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", cellsOf(exportColumnNames()...), excelize.RowOpts{StyleID: bold}); err != nil {
		return err
	}
	x := newExportContext(d.cat, d.stamp)
	var row exportRow
	line := 1
	err = s.store.EachObservation(c.Request().Context(), d.sel, 0, 0, func(r *metrics.ExportRow) error {
		if !x.resolve(r, &row) {
			return nil
		}
		// Numbers as numbers, so that a spreadsheet can compute with
		// them; text as text.
		cells := make([]any, len(exportColumns))
		for i, col := range exportColumns {
			if col.cell != nil {
				cells[i] = col.cell(&row)
			} else {
				cells[i] = xmlText(col.text(&row))
			}
		}
		line++
		cell, err := excelize.CoordinatesToCellName(1, line)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, cells)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	prov := x.provenance(d.query.Encode(), d.url)
	if err := xlsxSheet(f, bold, "indicators", indicatorColumns, indicatorRecords(d.cat)); err != nil {
		return err
	}
	if err := xlsxSheet(f, bold, "cities", cityColumns, cityRecords(d.cat)); err != nil {
		return err
	}
	if err := xlsxSheet(f, bold, "sources", sourceColumns, sourceRecords(prov.Sources)); err != nil {
		return err
	}
	if err := xlsxSheet(f, bold, "flags", flagColumns, flagRecords(d.cat)); err != nil {
		return err
	}
	if err := xlsxSheet(f, bold, "about", []string{"item", "value"}, aboutRecords(prov)); err != nil {
		return err
	}
	return writeWorkbook(c, f)
}

// writeWorkbook answers with the workbook, its parts in name order. The
// workbook writer stores them in no set order, so the same data would
// download as different bytes (and checksums) each time. The writer
// builds the compressed workbook in memory (about 30 bytes a row); its
// parts are copied from there as they are compressed.
func writeWorkbook(c echo.Context, f *excelize.File) error {
	buf, err := f.WriteToBuffer()
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return err
	}
	parts := slices.SortedFunc(slices.Values(zr.File), func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	c.Response().WriteHeader(http.StatusOK)
	zw := zip.NewWriter(c.Response())
	for _, part := range parts {
		if err := zw.Copy(part); err != nil {
			return err
		}
	}
	return zw.Close()
}

// excelDigits rounds to the 15 significant digits a workbook holds;
// excelize would cut the rest off instead of rounding.
func excelDigits(v float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	if err != nil {
		return v
	}
	return r
}

// xlsxSheet writes a small table to a new sheet.
func xlsxSheet(f *excelize.File, bold int, name string, head []string, recs [][]string) error {
	if _, err := f.NewSheet(name); err != nil {
		return err
	}
	if err := setDimension(f, name, len(head), len(recs)+1); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", cellsOf(head...), excelize.RowOpts{StyleID: bold}); err != nil {
		return err
	}
	for i, r := range recs {
		if err := sw.SetRow("A"+strconv.Itoa(i+2), cellsOf(r...)); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// setDimension declares a sheet's used range: cols columns, rows rows
// from A1.
func setDimension(f *excelize.File, sheet string, cols, rows int) error {
	last, err := excelize.CoordinatesToCellName(cols, max(rows, 1))
	if err != nil {
		return err
	}
	return f.SetSheetDimension(sheet, "A1:"+last)
}

// aboutRecords are the provenance as item–value rows.
func aboutRecords(p provenance) [][]string {
	recs := [][]string{
		{"title", p.Title},
		{"dataset_version", p.DatasetVersion},
		{"last_modified", p.LastModified},
		{"selection", p.Selection},
		{"url", p.URL},
		{"rows", strconv.Itoa(p.Rows)},
		{"citation", p.Citation},
	}
	for _, n := range p.Notes {
		recs = append(recs, []string{"note", n})
	}
	for _, w := range p.Withheld {
		recs = append(recs, []string{"withheld", w.Source + ": " + strconv.Itoa(w.Values) + " values. " + w.Reason})
	}
	return recs
}
