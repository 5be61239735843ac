package dashboard

import (
	"archive/zip"
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"
)

// A workbook of the same data is the same file each time it is made (a
// researcher's checksum, a cache's ETag): the workbook writer stores its
// parts in no set order, and writeWorkbook puts them in name order.
func TestWorkbookIsTheSameFileEachTime(t *testing.T) {
	build := func() []byte {
		f := excelize.NewFile()
		defer f.Close()
		bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetSheetName("Sheet1", "data"); err != nil {
			t.Fatal(err)
		}
		for _, sheet := range []string{"indicators", "cities", "sources", "flags", "about"} {
			if err := xlsxSheet(f, bold, sheet, []string{"code", "name"}, [][]string{{"hanoi", "Hà Nội"}, {"milan", "Milano"}}); err != nil {
				t.Fatal(err)
			}
		}
		rec := httptest.NewRecorder()
		c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/data/download?format=xlsx", nil), rec)
		if err := writeWorkbook(c, f); err != nil {
			t.Fatal(err)
		}
		return rec.Body.Bytes()
	}
	first := build()
	zr, err := zip.NewReader(bytes.NewReader(first), int64(len(first)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if !slices.IsSorted(names) || !slices.Contains(names, "xl/worksheets/sheet6.xml") {
		t.Errorf("parts: %v; want the six sheets in name order", names)
	}
	for i := range 5 {
		if b := build(); !bytes.Equal(b, first) {
			t.Fatalf("workbook %d differs from the first (%d and %d bytes)", i+2, len(b), len(first))
		}
	}
	if _, err := excelize.OpenReader(bytes.NewReader(first)); err != nil {
		t.Errorf("excelize cannot open the workbook: %v", err)
	}
}

// discardWriter is a ResponseWriter that counts and drops the body.
type discardWriter struct {
	hdr   http.Header
	bytes int64
}

func (w *discardWriter) Header() http.Header         { return w.hdr }
func (w *discardWriter) WriteHeader(int)             {}
func (w *discardWriter) Write(p []byte) (int, error) { w.bytes += int64(len(p)); return len(p), nil }

// BenchmarkWorkbookInNameOrder measures what putting a workbook's parts
// in name order costs a large download: a data sheet of 100,000 rows
// written as the workbook writer stores it (the baseline) and through
// writeWorkbook (the parts copied, as they are compressed, in name
// order), in the same run.
//
//	go test -run '^$' -bench WorkbookInNameOrder -benchtime 5x ./dashboard/
func BenchmarkWorkbookInNameOrder(b *testing.B) {
	build := func() *excelize.File {
		f := excelize.NewFile()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			b.Fatal(err)
		}
		for i := 1; i <= 100_000; i++ {
			cell, _ := excelize.CoordinatesToCellName(1, i)
			if err := sw.SetRow(cell, []any{i, "hanoi", "pm25_annual_mean", 2000 + i%24, float64(i) / 7, "who_aaq_2022_v2022"}); err != nil {
				b.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			b.Fatal(err)
		}
		return f
	}
	for _, mode := range []string{"as-stored", "name-order"} {
		b.Run(mode, func(b *testing.B) {
			var sent int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				f := build()
				w := &discardWriter{hdr: http.Header{}}
				c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/data/download?format=xlsx", nil), echo.NewResponse(w, echo.New()))
				b.StartTimer()
				if mode == "as-stored" {
					if _, err := f.WriteTo(w); err != nil {
						b.Fatal(err)
					}
				} else if err := writeWorkbook(c, f); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				sent = w.bytes
				f.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(sent), "bytes-sent")
		})
	}
}
