package ingest_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

func checkBytes(t *testing.T, app *testapp.App, name string, b []byte) *ingest.Pending {
	t.Helper()
	ctx := context.Background()
	u, err := app.Store.UserByEmail(ctx, "staff@example.org")
	if err != nil {
		if u, err = app.Store.AddUser(ctx, "staff@example.org", metrics.RoleEditor, "a long enough password", testapp.Fixed); err != nil {
			t.Fatal(err)
		}
	}
	p, err := app.Uploads.Receive(ctx, bytes.NewReader(b), name, u)
	if err != nil {
		t.Fatal(err)
	}
	if p, err = app.Uploads.Check(ctx, p.Key); err != nil {
		t.Fatal(err)
	}
	return p
}

func allRows(t *testing.T, app *testapp.App, key string) []ingest.PreviewRow {
	t.Helper()
	rows, _, err := app.Uploads.Rows(context.Background(), key, "", false, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestTemplateVariants: comma and semicolon files, with or without a
// byte-order mark, decimal commas in semicolon files, names matched
// through aliases without regard to case or accents, units converted
// and flagged, and a new source described in the file.
func TestTemplateVariants(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	cases := []struct {
		name, body string
	}{
		{"comma.csv", "city,indicator,year,value,unit,source\nKosice,pm25_annual_mean,2031,11.5,µg/m3,who_aaq_2022_v2022\n"},
		{"semicolon-bom.csv", "\ufeffcity;indicator;year;value;unit;source\nKOŠICE;PM25 annual mean;2031;11,5;ug/m3;WHO AAQ database 2022 (data version 2022)\n"},
		{"crlf.csv", "City,Indicator,Year,Value,Unit,Source\r\nkosice,pm25_annual_mean,2031,11.5,ug/m³,who_aaq_2022_v2022\r\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := checkBytes(t, app, c.name, []byte(c.body))
			if p.FileError != nil || p.Counts.New != 1 || p.Counts.Rejected != 0 {
				t.Fatalf("%+v %+v %+v", p.FileError, p.Counts, allRows(t, app, p.Key))
			}
			r := allRows(t, app, p.Key)[0]
			if r.AreaName != "Košice" || r.IndicatorCode != "pm25_annual_mean" || *r.NewValue != 11.5 || r.SourceCode != "who_aaq_2022_v2022" {
				t.Errorf("row %+v", r)
			}
		})
	}

	p := checkBytes(t, app, "units.csv", []byte("city,indicator,year,value,unit,source,flags,note,source_title,source_publisher,source_url\n"+
		"TP.HCM,final_energy_consumption_total,2030,2.5,GWh,hcmc_test_source,projection,test value,HCMC test dataset,Test publisher,https://example.org/data\n"+
		"Thành phố Hồ Chí Minh,final_energy_consumption_total,2029,9,TJ,hcmc_test_source,projection; estimated,test value,,,\n"))
	if p.FileError != nil || p.Counts.New != 2 || p.Counts.Rejected != 0 || len(p.NewSources) != 1 || p.NewSources[0].Title != "HCMC test dataset" {
		t.Fatalf("%+v %+v %+v %v", p.FileError, p.Counts, p.NewSources, allRows(t, app, p.Key))
	}
	rows := allRows(t, app, p.Key)
	if *rows[0].NewValue != 2500 || rows[0].Flags != "converted projection" {
		t.Errorf("2.5 GWh became %v MWh flagged %q", *rows[0].NewValue, rows[0].Flags)
	}
	if *rows[1].NewValue != 2500 || rows[1].Flags != "converted estimated projection" {
		t.Errorf("9 TJ became %v MWh flagged %q", *rows[1].NewValue, rows[1].Flags)
	}
	ctx := context.Background()
	u, err := app.Store.UserByEmail(ctx, "staff@example.org")
	if err != nil {
		t.Fatal(err)
	}
	id, err := app.Uploads.Publish(ctx, p.Key, u, ingest.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := app.Store.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range cat.Sources {
		found = found || (s.Code == "hcmc_test_source" && s.Publisher == "Test publisher")
	}
	if !found {
		t.Error("the new source described in the file was not added")
	}
	changes, n, err := app.Store.UploadChanges(ctx, id, 0, 10)
	if err != nil || n != 2 || changes[0].Locator != "units.csv line 2" {
		t.Errorf("upload %d changes %+v (%d, %v)", id, changes, n, err)
	}
}

// TestTemplateXLSXRoundTrip fills the XLSX template's data sheet and
// uploads it: the instructions and code lists are there, and the data
// sheet is read by row number.
func TestTemplateXLSXRoundTrip(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	cat, err := app.Store.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ingest.WriteTemplateXLSX(&buf, cat, locale.English); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	sheets := strings.Join(f.GetSheetList(), ",")
	if sheets != "data,instructions,cities,indicators,units,sources,flags" {
		t.Errorf("sheets %s", sheets)
	}
	cities, err := f.GetRows("cities")
	if err != nil {
		t.Fatal(err)
	}
	hasKosice := false
	for _, r := range cities {
		hasKosice = hasKosice || (r[0] == "kosice" && strings.Contains(strings.Join(r, " "), "Kosice"))
	}
	if len(cities) != len(cat.Areas)+1 || !hasKosice {
		t.Errorf("the cities sheet has %d rows, Košice with its aliases: %v", len(cities), hasKosice)
	}
	f.SetSheetRow("data", "A2", &[]any{"Kosice", "pm25_annual_mean", 2031, 11.5, "µg/m3", "who_aaq_2022_v2022", "projection", "test value"})
	f.SetSheetRow("data", "A3", &[]any{"Kosice", "pm25_annual_mean", 2032, "11,5 µg", "µg/m3", "who_aaq_2022_v2022", "projection", "test value"})
	var filled bytes.Buffer
	if err := f.Write(&filled); err != nil {
		t.Fatal(err)
	}
	p := checkBytes(t, app, "template.xlsx", filled.Bytes())
	if p.FileError != nil || p.Format != "xlsx" || p.Counts.New != 1 || p.Counts.Rejected != 1 {
		t.Fatalf("%+v %+v", p.FileError, p.Counts)
	}
	rej, _, err := app.Uploads.Rows(context.Background(), p.Key, ingest.RowRejected, false, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rej) != 1 || rej[0].Line != 3 || locale.English(p.Where(3)) != "Row 3" {
		t.Errorf("rejected %+v", rej)
	}
	var csvBuf bytes.Buffer
	ingest.WriteTemplateCSV(&csvBuf)
	if !strings.HasPrefix(csvBuf.String(), "\ufeffcity,indicator,year,value,unit,source,flags,note,source_title") {
		t.Errorf("CSV template %q", csvBuf.String())
	}
}
