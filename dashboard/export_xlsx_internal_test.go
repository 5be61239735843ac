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
