package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

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

func receive(t *testing.T, app *testapp.App, name string, b []byte) *ingest.Pending {
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
	p := receive(t, app, "office.csv", []byte(officeFile))
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
