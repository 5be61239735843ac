package ingest

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestFastSheetMatches reads every sheet of every workbook we have (the
// publishers' files, the bad uploads, the WHO workbook when the shared
// data folder is there) both ways, and requires the rows of fastSheet
// to be exactly those of excelize's Rows.Columns with RawCellValue:
// the same number of rows, and in each the same cells.
func TestFastSheetMatches(t *testing.T) {
	var files []string
	for _, glob := range []string{"../data/raw/*/*.xlsx", "../testdata/uploads/*/*.xlsx", "testdata/*.xlsx", "../../shared/data/raw/who/*.xlsx"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	fast := map[string]int{}
	for _, file := range files {
		f, err := excelize.OpenFile(file, excelize.Options{UnzipSizeLimit: maxXLSXUnpacked(DefaultLimits), UnzipXMLSizeLimit: xlsxTempPart})
		if err != nil {
			continue // not a workbook (a bad upload)
		}
		for _, sheet := range f.GetSheetList() {
			fs := openFastSheet(f, sheet)
			if fs == nil {
				t.Logf("%s, %s: read with excelize", filepath.Base(file), sheet)
				continue
			}
			rows, err := f.Rows(sheet)
			if err != nil {
				t.Errorf("%s, %s: %v", file, sheet, err)
				continue
			}
			n := 0
			for rows.Next() {
				want, err := rows.Columns(excelize.Options{RawCellValue: true})
				if err != nil {
					t.Fatal(err)
				}
				n++
				num, got, ok := fs.Next()
				if !ok {
					t.Errorf("%s, %s: fastSheet ends before row %d", file, sheet, n)
					break
				}
				if num != n || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) && !(len(got) == 0 && len(want) == 0) {
					t.Errorf("%s, %s, row %d (fastSheet's %d):\n got %q\nwant %q", file, sheet, n, num, got, want)
					break
				}
			}
			rows.Close()
			if _, _, ok := fs.Next(); ok {
				t.Errorf("%s, %s: fastSheet has rows after excelize's %d", file, sheet, n)
			}
			fast[filepath.Base(file)] += n
		}
		f.Close()
	}
	for _, must := range []string{"urb_ctran.xlsx", "C40_GPC_Database.xlsx", "snapshot_2022-12-20_13-07-14.xlsx"} {
		if fast[must] == 0 {
			t.Errorf("%s was not compared (files: %s)", must, strings.Join(files, ", "))
		}
	}
	t.Logf("rows compared: %v", fast)
}
