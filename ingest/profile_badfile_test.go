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
)

// checkWith checks a file read with a named profile ("": detect one).
func checkWith(t *testing.T, app *testapp.App, name string, b []byte, profile string) *ingest.Pending {
	t.Helper()
	ctx := context.Background()
	p, err := app.Uploads.Receive(ctx, bytes.NewReader(b), name, staffUser(t, app))
	if err != nil {
		t.Fatal(err)
	}
	if profile != "" {
		if err := app.Uploads.UseProfile(ctx, p.Key, profile); err != nil {
			t.Fatal(err)
		}
	}
	if p, err = app.Uploads.Check(ctx, p.Key); err != nil {
		t.Fatal(err)
	}
	return p
}

const whoHeader = "WHO Region,ISO3,WHO Country Name,City or Locality,Measurement Year,PM2.5 (μg/m3),PM10 (μg/m3),NO2 (μg/m3),PM25 temporal coverage (%),PM10 temporal coverage (%),NO2 temporal coverage (%),Reference,Number and type of monitoring stations,Version of the database,Status,,\n"

// TestProfileBadFiles: a profile that does not fit the file is refused
// with the column or key named; a value it cannot parse is a row
// problem with the line, the column as printed and the text as printed.
func TestProfileBadFiles(t *testing.T) {
	app := testapp.New(t, testapp.Options{})

	// The WHO file without its "Reference" column, which the notes read.
	noRef := strings.Replace(whoHeader, "Reference,", "Source,", 1) +
		"Western Pacific Region,VNM,Viet Nam,Ha Noi,2019,52.09,,,59,,,US State Department,NA,2022\n"
	p := checkWith(t, app, "who.csv", []byte(noRef), "who-aaq-2022-csv")
	if p.FileError == nil || p.FileError.Code != "profile_column" {
		t.Fatalf("missing column: %+v", p.FileError)
	}
	if msg := locale.English(p.FileError.Message); !strings.Contains(msg, `"Reference"`) || !strings.Contains(msg, "measures[0].note.template") {
		t.Errorf("missing column: %q names neither the column nor the key", msg)
	}

	// Not the signature: asked for the CDP 2016 layout.
	p = checkWith(t, app, "who.csv", []byte(whoHeader+"x,VNM,Viet Nam,Ha Noi,2019,52.09,,,59,,,r,NA,2022\n"), "cdp-citywide-2016")
	if p.FileError == nil || p.FileError.Code != "profile_mismatch" || !strings.Contains(locale.English(p.FileError.Message), "Total City-wide Emissions (metric tonnes CO2e)") {
		t.Errorf("wrong profile: %+v", p.FileError)
	}

	// A workbook without the sheet the profile reads.
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "AAP_2022_city")
	f.SetSheetRow("AAP_2022_city", "A1", &[]any{"WHO Region", "ISO3"})
	f.NewSheet("README")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	p = checkWith(t, app, "who.xlsx", buf.Bytes(), "who-aaq-2022-xlsx")
	if p.FileError == nil || p.FileError.Code != "profile_sheet" {
		t.Fatalf("wrong sheet: %+v", p.FileError)
	}
	if msg := locale.English(p.FileError.Message); !strings.Contains(msg, `"AAP_2022_city_v9"`) || !strings.Contains(msg, "read.sheet") || !strings.Contains(msg, "AAP_2022_city, README") {
		t.Errorf("wrong sheet: %q", msg)
	}

	// A value that is neither a number nor a notation key.
	bad := whoHeader +
		"Western Pacific Region,VNM,Viet Nam,Ha Noi,2019,52.09,,,59,,,US State Department,NA,2022\n" +
		"Western Pacific Region,VNM,Viet Nam,Ha Noi,2018,about 40,NA,,95,,,US State Department,NA,2022\n"
	p = checkWith(t, app, "who.csv", []byte(bad), "")
	if p.FileError != nil || p.Counts.Rejected != 1 || p.Counts.Total != 2 {
		t.Fatalf("counts %+v, file error %+v", p.Counts, p.FileError)
	}
	rows, _, err := app.Uploads.Rows(context.Background(), p.Key, ingest.RowRejected, false, 0, 10)
	if err != nil || len(rows) != 1 {
		t.Fatalf("rejected rows %v, %v", rows, err)
	}
	r := rows[0]
	if r.Line != 3 || len(r.Problems) != 1 || r.Problems[0].Column != "PM2.5 (μg/m3)" || r.Problems[0].Value != "about 40" ||
		!strings.Contains(locale.English(r.Problems[0].Message), `"about 40" is not a number`) {
		t.Errorf("row problem: line %d %+v", r.Line, r.Problems)
	}
}

// TestProfileAreas: places the catalogue does not know are skipped and
// listed, never errors; a name close to a known area of the same
// country is proposed as its alias; a name that is another area's maps
// to that area, never to the city; a country column keeps a namesake in
// another country out.
func TestProfileAreas(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	body := whoHeader +
		"Western Pacific Region,VNM,Viet Nam,Ha Noi,2019,52.09,,,59,,,r,NA,2022\n" +
		"Western Pacific Region,VNM,Viet Nam,Ha Noi City,2019,52.09,,,59,,,r,NA,2022\n" +
		"Western Pacific Region,KOR,Republic of Korea,Suweon,2019,20.5,,,90,,,r,NA,2022\n" +
		"European Region,ITA,Italy,Città Metropolitana di Milano,2019,25.1,,,90,,,r,NA,2022\n" +
		"European Region,ITA,Italy,Milano,2019,26.2,,,90,,,r,NA,2022\n" +
		"Region of the Americas,USA,United States of America,Manchester,2019,7.1,,,90,,,r,NA,2022\n" +
		"European Region,CZE,Czechia,Praha 5,2019,17.0,,,90,,,r,NA,2022\n" +
		"European Region,ITA,Italy,Monza,2019,24.0,30.1,,90,,,r,NA,2022\n"
	p := checkWith(t, app, "who.csv", []byte(body), "")
	if p.FileError != nil {
		t.Fatal(locale.English(p.FileError.Message))
	}
	rows, _, err := app.Uploads.Rows(context.Background(), p.Key, "", false, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.City] = r.AreaName
	}
	for printed, area := range map[string]string{"Ha Noi": "Hanoi", "Suweon": "Suwon", "Città Metropolitana di Milano": "Metropolitan City of Milan", "Milano": "Milan"} {
		if got[printed] != area {
			t.Errorf("%q matched %q, want %q", printed, got[printed], area)
		}
	}
	if p.Counts.Rejected != 0 || p.Counts.Total != 4 || p.Skips.NotInCatalogue != 5 {
		t.Errorf("counts %+v, %d values of places not in the catalogue", p.Counts, p.Skips.NotInCatalogue)
	}
	skipped := map[string]ingest.SkippedArea{}
	for _, a := range p.Skips.Areas {
		skipped[a.Name] = a
	}
	if a := skipped["Monza"]; a.Values != 2 || a.Country != "ITA" || a.FirstLine != 9 {
		t.Errorf("Monza skipped as %+v", a)
	}
	if _, ok := skipped["Manchester"]; !ok {
		t.Error("Manchester (USA) is not skipped")
	}
	proposals := map[string]string{}
	for _, pr := range p.Skips.Proposals {
		proposals[pr.Name] = pr.Slug
	}
	if proposals["Ha Noi City"] != "hanoi" || proposals["Praha 5"] != "" && proposals["Praha 5"] != "prague" {
		t.Errorf("proposals %v", p.Skips.Proposals)
	}
	if _, ok := proposals["Monza"]; ok {
		t.Errorf("Monza proposed as an alias: %v", p.Skips.Proposals)
	}
	if _, ok := proposals["Manchester"]; ok {
		t.Errorf("Manchester (USA) proposed as an alias: %v", p.Skips.Proposals)
	}
}

// TestProfilePreviewSaysWhatChanged: a changed row says which field
// changed, from what to what.
func TestProfilePreviewSaysWhatChanged(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	// Ha Noi 2019 PM2.5 as in the seed (52.09, WHO 2022 data version),
	// now 53.1 and flagged by the low-coverage rule.
	body := whoHeader + "Western Pacific Region,VNM,Viet Nam,Ha Noi,2019,53.1,,,5,,,\"U.S. Department of State, United States Environmental Protection Agency.\",NA,2022\n"
	p := checkWith(t, app, "who.csv", []byte(body), "")
	if p.Counts.Changed != 1 {
		t.Fatalf("counts %+v", p.Counts)
	}
	rows, _, err := app.Uploads.Rows(context.Background(), p.Key, ingest.RowChanged, false, 0, 10)
	if err != nil || len(rows) != 1 {
		t.Fatal(rows, err)
	}
	ch := map[string]ingest.FieldChange{}
	for _, c := range rows[0].Changes {
		ch[c.Field] = c
	}
	if c := ch["value"]; c.From != "52.09" || c.To != "53.1" {
		t.Errorf("value change %+v", c)
	}
	if c := ch["flags"]; c.From != "" || c.To != "low_coverage" {
		t.Errorf("flags change %+v", c)
	}
	if c := ch["note"]; !strings.Contains(c.From, "temporal coverage: 59") || !strings.Contains(c.To, "temporal coverage: 5") {
		t.Errorf("note change %+v", c)
	}
}

// TestOWIDGrapherNeedsItsColumnsMapped: an OWID grapher CSV is
// recognised, and since its value columns differ from chart to chart,
// the check says which ones to map.
func TestOWIDGrapherNeedsItsColumnsMapped(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	// Rows as the seed records them from OWID's co-emissions-per-capita chart.
	body := "Entity,Code,Year,Per capita CO₂ emissions (tonnes)\nItaly,ITA,2005,8.484034861299056\nItaly,ITA,2006,8.352871409630433\n"
	p := checkWith(t, app, "co-emissions-per-capita.csv", []byte(body), "")
	if p.ReadAs == nil || p.ReadAs.Profile != "owid-grapher-csv" {
		t.Fatalf("read as %+v", p.ReadAs)
	}
	if p.FileError == nil || p.FileError.Code != "profile_no_measure" || !strings.Contains(locale.English(p.FileError.Message), `"Per capita CO₂ emissions (tonnes)"`) {
		t.Errorf("file error %+v", p.FileError)
	}
}

// TestProfileValueRules: a value marked as converted from another
// measure is read and flagged; a notation key is not a value, and not
// an error.
func TestProfileValueRules(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	body := whoHeader +
		"Western Pacific Region,VNM,Viet Nam,Ha Noi,2017,NA,(102)-converted value,,,,,r,NA,2018\n"
	p := checkWith(t, app, "who.csv", []byte(body), "")
	if p.FileError != nil || p.Counts.Total != 1 || p.Counts.Rejected != 0 || p.Skips.NoValue != 2 {
		t.Fatalf("counts %+v, skips %+v, file error %+v", p.Counts, p.Skips, p.FileError)
	}
	rows, _, _ := app.Uploads.Rows(context.Background(), p.Key, "", false, 0, 10)
	if len(rows) != 1 || rows[0].NewValue == nil || *rows[0].NewValue != 102 || rows[0].Flags != "converted" || rows[0].ValueAsGiven != "(102)-converted value" || rows[0].IndicatorCode != "pm10_annual_mean" {
		t.Errorf("rows %+v", rows)
	}
}
