package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// A city office's file in its own layout: a title line above the
// header, the city in the second column, PM2.5 in a column named with
// its unit, and a remark column.
const officeFile = "Air monitoring summary;;;;\n" +
	"Station;Town;Measured in;PM2.5 annual;Remark\n" +
	"Nguyen Van Cu;Ha Noi;2021;41,2;provisional count\n" +
	"Duomo;Milano;2016;26,73;\n" +
	"X;Atlantis;2021;12;\n" +
	"Y;Milano;20x1;12;\n"

func receiveFile(t *testing.T, app *testapp.App, name string, b []byte) *ingest.Pending {
	t.Helper()
	ctx := context.Background()
	u, err := app.Store.AddUser(ctx, "mapper@example.org", metrics.RoleEditor, "a long enough password", testapp.Fixed)
	if err != nil {
		t.Fatal(err)
	}
	p, err := app.Uploads.Receive(ctx, bytes.NewReader(b), name, u)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPreviewMapping: the file is shown as it is, the chosen header line
// names the columns, and the first rows are read the way the mapping
// says and checked as an upload's rows: areas matched through aliases,
// the decimal comma of a semicolon file, the value compared with the
// one stored, the problems naming the file's own columns.
func TestPreviewMapping(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	p := receiveFile(t, app, "office.csv", []byte(officeFile))
	ctx := context.Background()

	s, err := app.Uploads.SampleOf(p.Key, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != "csv" || s.Comma != ";" || s.Width != 5 || len(s.Rows) != 6 || s.Rows[1].Fields[1] != "Town" || s.Rows[1].Line != 2 {
		t.Fatalf("sample: %+v", s)
	}

	m := ingest.Mapping{HeaderLine: 2, Roles: []string{"ignore", "area", "year", "value", "note"},
		Indicator: "pm25_annual_mean", Source: "who_aaq_2022_v2022"}
	_, rows, merr, err := app.Uploads.PreviewMapping(ctx, p.Key, m, 20)
	if err != nil || merr != nil {
		t.Fatalf("preview: %v %v", merr, err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4: %+v", len(rows), rows)
	}
	hanoi, milan, atlantis, badYear := rows[0], rows[1], rows[2], rows[3]
	if hanoi.Line != 3 || hanoi.AreaName != "Hanoi" || hanoi.Stored == nil || *hanoi.Stored != 41.2 || hanoi.StoredIn != "µg/m³" ||
		hanoi.Status != ingest.RowNew || hanoi.Note != "Remark: provisional count" {
		t.Errorf("Hanoi row: %+v", hanoi)
	}
	// Milan 2016 is stored from this source with this value, and a
	// note this file does not repeat.
	if milan.AreaName != "Milan" || milan.Status != ingest.RowChanged || milan.Old == nil || *milan.Old != 26.73 {
		t.Errorf("Milan row: %+v", milan)
	}
	if atlantis.Status != ingest.RowRejected || len(atlantis.Problems) == 0 || atlantis.Problems[0].Column != "Town" || atlantis.Problems[0].Value != "Atlantis" {
		t.Errorf("unknown town: %+v", atlantis)
	}
	if badYear.Status != ingest.RowRejected || badYear.Problems[0].Column != "Measured in" || badYear.Problems[0].Value != "20x1" {
		t.Errorf("bad year: %+v", badYear)
	}

	// What is missing is said by field.
	for _, c := range []struct {
		name  string
		m     ingest.Mapping
		field string
		key   string
	}{
		{"no value column", ingest.Mapping{HeaderLine: 2, Roles: []string{"ignore", "area", "year"}, Indicator: "pm25_annual_mean", Source: "who_aaq_2022_v2022"}, "roles", "map.error.role_missing"},
		{"no indicator", ingest.Mapping{HeaderLine: 2, Roles: []string{"ignore", "area", "year", "value"}, Source: "who_aaq_2022_v2022"}, "indicator", "map.error.role_missing"},
		{"two areas", ingest.Mapping{HeaderLine: 2, Roles: []string{"area", "area", "year", "value"}, Indicator: "pm25_annual_mean", Source: "who_aaq_2022_v2022"}, "roles", "map.error.role_twice"},
		{"unknown source", ingest.Mapping{HeaderLine: 2, Roles: []string{"ignore", "area", "year", "value"}, Indicator: "pm25_annual_mean", Source: "nope"}, "source", "map.error.source"},
		{"unnamed column", ingest.Mapping{HeaderLine: 1, Roles: []string{"ignore", "area", "year", "value"}, Indicator: "pm25_annual_mean", Source: "who_aaq_2022_v2022"}, "roles", "map.error.unnamed_column"},
		{"no such line", ingest.Mapping{HeaderLine: 40, Roles: []string{"ignore", "area", "year", "value"}, Indicator: "pm25_annual_mean", Source: "who_aaq_2022_v2022"}, "header_line", "map.error.header_line"},
	} {
		_, _, merr, err := app.Uploads.PreviewMapping(ctx, p.Key, c.m, 20)
		if err != nil || merr == nil || merr.Fields[c.field].Key != c.key {
			t.Errorf("%s: %+v, %v", c.name, merr, err)
		}
	}

	// Saved as a profile of the long layout that the strict loader takes.
	cat, err := app.Store.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.ProfileOf("office-air", "City office air summary", s, cat)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := ingest.ParseProfile(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if prof.Read.HeaderLine != 2 || prof.Read.Delimiter != ";" || prof.Layout.Kind != ingest.LayoutLong || !prof.Value.DecimalComma ||
		prof.Area.Columns[0][0] != "Town" || prof.Year.Column[0] != "Measured in" || prof.Value.Column[0] != "PM2.5 annual" ||
		prof.Indicator.Constant != "pm25_annual_mean" || prof.Unit.Constant != "ug_m3" || prof.Source.Code != "who_aaq_2022_v2022" ||
		prof.Note == nil || prof.Note.Columns[0][0] != "Remark" || len(prof.Recognise.Columns) != 5 {
		t.Errorf("profile:\n%s", b)
	}
	if _, err := (ingest.Mapping{HeaderLine: 2, Roles: []string{"ignore", "area"}}).ProfileOf("x", "X", s, cat); err == nil {
		t.Error("an incomplete mapping became a profile")
	}

	if _, err := app.Uploads.SampleOf("0123456789abcdef0123456789abcdef", "", 5); !errors.Is(err, metrics.ErrNotFound) {
		t.Errorf("unknown upload: %v", err)
	}
}

// TestMappingWorkbook: a workbook's sheets are listed, the one chosen is
// shown, and the profile saved from the mapping reads that sheet from
// its header row when the upload is checked with it.
func TestMappingWorkbook(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "About")
	f.SetCellValue("About", "A1", "Test values, not figures about these cities.")
	f.NewSheet("Values")
	for i, row := range [][]any{
		{"Energy use by city"},
		{},
		{"City", "Year", "kWh per person"},
		{"Kosice", 2021, 5000},
		{"Milano", 2021, 6000.5},
	} {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			f.SetCellValue("Values", cell, v)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	p := receiveFile(t, app, "energy.xlsx", buf.Bytes())

	s, err := app.Uploads.SampleOf(p.Key, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != "xlsx" || s.Sheet != "About" || strings.Join(s.Sheets, ",") != "About,Values" {
		t.Fatalf("first sheet: %+v", s)
	}
	s, err = app.Uploads.SampleOf(p.Key, "Values", 10)
	if err != nil {
		t.Fatal(err)
	}
	// The empty second row is not shown; the header is on row 3.
	if s.Sheet != "Values" || len(s.Rows) != 4 || s.Rows[1].Line != 3 || s.Rows[1].Fields[2] != "kWh per person" {
		t.Fatalf("sheet Values: %+v", s)
	}
	m := ingest.Mapping{Sheet: "Values", HeaderLine: 3, Roles: []string{"area", "year", "value"},
		Indicator: "electricity_per_capita", Unit: "kwh_per_person", Source: "who_aaq_2022_v2022"}
	cat, err := app.Store.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, rows, merr, err := app.Uploads.PreviewMapping(ctx, p.Key, m, 20)
	if err != nil || merr != nil || len(rows) != 2 || rows[0].AreaName != "Košice" || rows[1].AreaName != "Milan" {
		t.Fatalf("preview: %+v %v %v", rows, merr, err)
	}
	b, err := m.ProfileOf("city-energy", "City energy workbook", s, cat)
	if err != nil {
		t.Fatal(err)
	}
	prof, err := ingest.ParseProfile(b)
	if err != nil || prof.Read.Format != "xlsx" || prof.Read.Sheet != "Values" || prof.Read.Delimiter != "" {
		t.Fatalf("profile %s: %v", b, err)
	}
	u, err := app.Store.UserByEmail(ctx, "mapper@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.SaveImportProfile(ctx, metrics.ProfileInput{Name: "city-energy", Title: "City energy workbook", Body: b}, u, testapp.Fixed); err != nil {
		t.Fatal(err)
	}
	// Proposed, not approved: used only when asked for by name.
	if err := app.Uploads.UseProfile(ctx, p.Key, "city-energy"); err != nil {
		t.Fatal(err)
	}
	pend, err := app.Uploads.Check(ctx, p.Key)
	if err != nil {
		t.Fatal(err)
	}
	if pend.FileError != nil || pend.Counts.New != 2 || pend.Counts.Rejected != 0 {
		rows, _, _ := app.Uploads.Rows(ctx, p.Key, "", false, 0, 10)
		t.Errorf("checked with the profile: %+v %+v %+v", pend.Counts, pend.FileError, rows)
	}
}

// TestSampleOpenQuote: a quote left open on the third line does not
// make the sample read the whole file; the lines before it are shown.
func TestSampleOpenQuote(t *testing.T) {
	app := testapp.New(t, testapp.Options{NoSeed: true})
	var b bytes.Buffer
	b.WriteString("a,b\n1,2\n\"3,4\n")
	for b.Len() < 12<<20 {
		b.WriteString("5,6\n")
	}
	p := receiveFile(t, app, "open.csv", b.Bytes())
	s, err := app.Uploads.SampleOf(p.Key, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) < 2 || s.Rows[0].Fields[0] != "a" || s.Rows[1].Fields[1] != "2" {
		t.Fatalf("sample: %+v", s.Rows[:min(len(s.Rows), 3)])
	}
	for _, r := range s.Rows {
		for _, f := range r.Fields {
			if len(f) > 250 {
				t.Fatalf("a cell of %d bytes shown", len(f))
			}
		}
	}
}

// TestMappingColumns: the indicator, unit and source given by columns
// (crosswalks built from the values the file shows), flags as the
// vocabulary writes them; the profile reads the file as the preview did.
func TestMappingColumns(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	file := "where,what,when,amount,in,from,flags\n" +
		"Kosice,pm25_annual_mean,2024,12.5,ug/m3,who_aaq_2022_v2022,estimated\n" +
		"Hanoi,pm10_annual_mean,2024,80,µg/m³,who_aaq_2022_v2022,\n" +
		"Milan,no2_annual_mean,2024,30,ug/m3,who_aaq_2022_v2022,provisional\n"
	p := receiveFile(t, app, "cols.csv", []byte(file))
	m := ingest.Mapping{HeaderLine: 1, Roles: []string{"area", "indicator", "year", "value", "unit", "source", "flags"}}
	s, rows, merr, err := app.Uploads.PreviewMapping(ctx, p.Key, m, 20)
	if err != nil || merr != nil || len(rows) != 3 {
		t.Fatalf("preview: %+v %v %v", rows, merr, err)
	}
	for _, r := range rows {
		if r.Status != ingest.RowNew {
			t.Errorf("preview row %d: %+v", r.Line, r)
		}
	}
	if rows[0].Flags != "estimated" || rows[2].Flags != "provisional" {
		t.Errorf("flags: %q %q", rows[0].Flags, rows[2].Flags)
	}
	cat, _ := app.Store.Catalogue(ctx)
	b, err := m.ProfileOf("cols", "Columns", s, cat)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := app.Store.UserByEmail(ctx, "mapper@example.org")
	if _, err := app.Store.SaveImportProfile(ctx, metrics.ProfileInput{Name: "cols", Title: "Columns", Body: b}, u, testapp.Fixed); err != nil {
		t.Fatal(err)
	}
	if err := app.Uploads.UseProfile(ctx, p.Key, "cols"); err != nil {
		t.Fatal(err)
	}
	pend, err := app.Uploads.Check(ctx, p.Key)
	if err != nil {
		t.Fatal(err)
	}
	got, _, _ := app.Uploads.Rows(ctx, p.Key, "", false, 0, 10)
	if pend.FileError != nil || pend.Counts.New != 3 {
		t.Fatalf("checked with the profile: %+v %+v %+v\n%s", pend.Counts, pend.FileError, got, b)
	}
	flags := map[string]string{}
	for _, r := range got {
		flags[r.IndicatorCode] = r.Flags
	}
	if flags["pm25_annual_mean"] != "estimated" || flags["no2_annual_mean"] != "provisional" || flags["pm10_annual_mean"] != "" {
		t.Errorf("flags read with the profile: %v", flags)
	}
}
