package dashboard_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"github.com/twinmetrics/twinmetrics/ingest"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// badFiles are the files in testdata/uploads/bad, each with the error
// staff must see: a file error's code, or a row's line, column and a
// phrase of the message or hint.
var badFiles = []struct {
	file   string
	code   string // file error
	line   int    // row error
	column string
	want   string
}{
	{file: "empty.csv", code: "empty", want: "is empty"},
	{file: "binary.csv", code: "binary", want: "not text"},
	{file: "html_saved_as.csv", code: "html", want: "web page"},
	{file: "utf16_with_bom.csv", code: "utf16", want: "UTF-16"},
	{file: "utf16le_without_bom.csv", code: "utf16", want: "UTF-16"},
	{file: "windows1252.csv", code: "encoding", want: "Line 2 is not valid UTF-8"},
	{file: "wrong_headers_who.csv", code: "missing_columns", want: "City or Locality"},
	{file: "wrong_headers_cdp.csv", code: "missing_columns", want: "not the upload template"},
	{file: "wrong_headers_eurostat.csv", code: "missing_columns", want: `"STRUCTURE" (column A)`},
	{file: "duplicated_header.csv", code: "duplicate_header", want: `"year" in columns C and G`},
	{file: "missing_unit_column.csv", code: "missing_columns", want: "lacks the required column(s) unit"},
	{file: "unknown_extra_column.csv", code: "unknown_columns", want: `"comment" (column I)`},
	{file: "header_only.csv", code: "no_rows", want: "no data rows"},
	{file: "first_line_empty.csv", code: "no_header", want: "first line is empty"},
	{file: "pdf_named.csv", code: "pdf", want: "PDF"},
	{file: "old_excel.xls", code: "xls", want: "97–2003"},
	{file: "tab_separated.csv", code: "tab_separated", want: "tabs"},
	{file: "bare_quote.csv", code: "csv_syntax", want: "Line 2"},
	{file: "too_many_rows.csv", code: "too_many_rows", want: "more than 100 data rows"},
	{file: "line_10mb.csv.gz", code: "line_too_long", want: "Line 2 is 10485"},
	{file: "too_large_17mb.csv.gz", code: "too_large", want: "larger than 16 MB"},
	{file: "zip_not_xlsx.xlsx", code: "xlsx_damaged", want: "cannot be opened"},
	{file: "truncated.xlsx", code: "xlsx_damaged", want: "damaged"},
	{file: "xlsx_wrong_headers_who.xlsx", code: "missing_columns", want: "Measurement Year"},
	{file: "xlsx_empty_sheet.xlsx", code: "empty", want: "sheet data is empty"},

	{file: "text_in_value.csv", line: 2, column: "value", want: `"Not Applicable" is not a number`},
	{file: "decimal_comma_quoted.csv", line: 2, column: "value", want: "Write 12.5 with a decimal point"},
	{file: "decimal_comma_unquoted.csv", line: 2, column: "I", want: "decimal comma (12,5)"},
	{file: "year_20019.csv", line: 2, column: "year", want: "Did you mean 2019?"},
	{file: "year_range_text.csv", line: 2, column: "year", want: `"2019/20" is not a year`},
	{file: "percent_over_100.csv", line: 2, column: "value", want: "outside 0–100"},
	{file: "unknown_city_near_miss.csv", line: 2, column: "city", want: "Did you mean Košice (kosice)?"},
	{file: "unknown_indicator.csv", line: 2, column: "indicator", want: "pm25_annual_mean"},
	{file: "unknown_unit.csv", line: 2, column: "unit", want: `"furlongs" is unknown`},
	{file: "unit_wrong_dimension.csv", line: 2, column: "unit", want: "kWh cannot be converted to µg/m³"},
	{file: "derived_indicator.csv", line: 2, column: "indicator", want: "computed, not uploaded"},
	{file: "formula_note.csv", line: 2, column: "note", want: "run it as a formula"},
	{file: "duplicate_rows.csv", line: 3, column: "city, indicator, year, source", want: "Line 2 already gives a value"},
	{file: "unknown_flag.csv", line: 2, column: "flags", want: `Unknown flag "guessed"`},
	{file: "empty_value.csv", line: 2, column: "value", want: "missing is shown as missing"},
	{file: "negative_value.csv", line: 2, column: "value", want: "cannot be negative"},
	{file: "unknown_source.csv", line: 2, column: "source", want: `"my_spreadsheet" is not in the catalogue`},
	{file: "thousands_separator.csv", line: 2, column: "value", want: "without thousands separators"},
	{file: "control_char_note.csv", line: 2, column: "note", want: "control character"},
	{file: "xlsx_text_in_value.xlsx", line: 2, column: "value", want: `"n/a" is not a number`},
}

func readBad(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "uploads", "bad", name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// TestBadFilesCorpus uploads each bad file through the API: it gets its
// own error (file errors before and instead of row errors), publishing
// it is refused, the server does not fail, and the database file is
// byte-for-byte what it was.
func TestBadFilesCorpus(t *testing.T) {
	ents, err := os.ReadDir(filepath.Join("..", "testdata", "uploads", "bad"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) < 30 {
		t.Fatalf("the bad-file corpus has %d files; it must have at least 30", len(ents))
	}
	listed := map[string]bool{}
	for _, b := range badFiles {
		listed[b.file] = true
	}
	for _, e := range ents {
		if !listed[e.Name()] {
			t.Errorf("testdata/uploads/bad/%s has no expectation in badFiles", e.Name())
		}
	}

	a := newStaffApp(t, testapp.Options{Limits: ingest.Limits{MaxBytes: 16 << 20, MaxRows: 100, MaxLineBytes: 64 << 10}})
	before := dbHash(t, a.App)
	for _, bf := range badFiles {
		t.Run(bf.file, func(t *testing.T) {
			code, out := a.apiUpload(t, strings.TrimSuffix(bf.file, ".gz"), readBad(t, bf.file))
			if code >= 500 {
				t.Fatalf("server error %d: %v", code, out)
			}
			if bf.code != "" {
				want := http.StatusUnprocessableEntity
				if bf.code == "too_large" {
					want = http.StatusRequestEntityTooLarge
				}
				if code != want {
					t.Errorf("status %d, want %d", code, want)
				}
				fe, _ := out["file_error"].(map[string]any)
				if fe == nil {
					t.Fatalf("no file error: %v", out)
				}
				if fe["code"] != bf.code {
					t.Errorf("file error %q (%v), want %q", fe["code"], fe["message"], bf.code)
				}
				if msg := msgText(fe["message"]) + " " + msgText(fe["hint"]); !strings.Contains(msg, bf.want) {
					t.Errorf("file error %q lacks %q", msg, bf.want)
				}
				if msgText(fe["hint"]) == "" {
					t.Error("the file error says nothing on how to fix it")
				}
				if rows, _ := out["rows"].([]any); len(rows) > 0 {
					t.Error("row problems are reported beside a file error")
				}
			} else {
				if code != http.StatusCreated {
					t.Fatalf("status %d, want 201: %v", code, out)
				}
				counts, _ := out["counts"].(map[string]any)
				if counts["rejected"] != float64(1) {
					t.Errorf("counts %v, want one rejected row", counts)
				}
				rows, _ := out["rows"].([]any)
				found := false
				for _, r := range rows {
					r := r.(map[string]any)
					if r["line"] != float64(bf.line) {
						continue
					}
					probs, _ := r["problems"].([]any)
					for _, p := range probs {
						p := p.(map[string]any)
						if p["column"] == bf.column && strings.Contains(msgText(p["message"])+" "+msgText(p["hint"]), bf.want) && msgText(p["hint"]) != "" {
							found = true
						}
					}
					if !found {
						t.Errorf("line %d problems %v lack column %q with %q", bf.line, probs, bf.column, bf.want)
					}
				}
				if !found && len(rows) == 0 {
					t.Errorf("no rejected row reported: %v", out)
				}
				// Publishing a file with rejected rows is refused unless
				// staff choose to leave them out.
				pcode, pout := a.apiPost(t, "/api/v1/uploads/"+out["id"].(string)+"/publish", url.Values{})
				if pcode != http.StatusConflict || !strings.Contains(fmt.Sprint(pout["detail"]), "rejected") {
					t.Errorf("publish of a file with a rejected row: %d %v", pcode, pout)
				}
			}
			if after := dbHash(t, a.App); after != before {
				t.Fatal("the database changed")
			}
		})
	}
}

// msgText is the English text of a message in the upload API's JSON
// ({"key": …, "args": …, "text": …}).
func msgText(m any) string {
	o, _ := m.(map[string]any)
	s, _ := o["text"].(string)
	return s
}
